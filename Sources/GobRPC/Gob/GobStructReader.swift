/// Reads the fields of a decoded struct by name, as Go matches them: fields the sender did not
/// send are absent (zero), fields this side does not know are ignored.
struct GobStructReader {
    let typeName: String
    let fields: [String: GobValue]

    init(_ value: GobValue, typeName: String) throws {
        guard case .structure(let fields) = value.unwrapped else {
            throw GobError("\(typeName): expected struct, got \(value.unwrapped?.kindName ?? "nil interface")")
        }
        self.typeName = typeName
        self.fields = fields
    }

    /// The field converted to `T`, or nil when absent.
    func optional<T: GobConvertible>(_ name: String, as type: T.Type = T.self) throws -> T? {
        guard let value = fields[name] else { return nil }
        do {
            return try T(gobValue: value)
        } catch let error as GobError {
            throw error.prefixed("\(typeName).\(name)")
        }
    }

    func string(_ name: String) throws -> String { try optional(name) ?? "" }
    func bool(_ name: String) throws -> Bool { try optional(name) ?? false }
    func int(_ name: String) throws -> Int { try optional(name) ?? 0 }
    func int64(_ name: String) throws -> Int64 { try optional(name) ?? 0 }
    func double(_ name: String) throws -> Double { try optional(name) ?? 0 }
    func list<T: GobConvertible>(_ name: String, of type: T.Type = T.self) throws -> [T] { try optional(name) ?? [] }

    /// A time.Time field (sent as its MarshalBinary bytes); nil when absent or Go's zero time.
    func time(_ name: String) throws -> GobTime? {
        guard let value = fields[name] else { return nil }
        guard case .encoded(let bytes) = value.unwrapped else {
            throw GobError("\(typeName).\(name): expected time bytes, got \(value.kindName)")
        }
        do {
            let time = try GobTime(marshaled: bytes)
            return time.isZero ? nil : time
        } catch {
            throw error.prefixed("\(typeName).\(name)")
        }
    }

    /// A `map[string]V` field; nil values (nil interfaces) are kept as `.interface(nil)`.
    func stringMap(_ name: String) throws -> [String: GobValue] {
        guard let value = fields[name] else { return [:] }
        guard let entries = value.stringKeyedEntries else {
            throw GobError("\(typeName).\(name): expected map with string keys, got \(value.kindName)")
        }
        return entries
    }
}
