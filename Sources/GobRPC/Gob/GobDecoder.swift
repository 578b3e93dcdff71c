/// Decodes one gob stream (one direction of one connection).
///
/// The decoder keeps the stream's type table: definitions persist across messages and may
/// refer to ids defined later. Input is treated as untrusted: lengths are bounded by the bytes
/// that remain, nesting is bounded by `maxDepth`, and every inconsistency throws a `GobError`.
struct GobDecoder {
    /// Deepest nesting of values (and of types inside interfaces) accepted.
    var maxDepth: Int
    private(set) var types: [Int: GobWireType] = [:]

    init(maxDepth: Int = 100) {
        self.maxDepth = maxDepth
    }

    /// Reads type definitions until the next value. Returns nil at a clean end of stream.
    mutating func decode(from source: inout some GobMessageSource) throws -> GobMessage? {
        var session = GobDecodeSession(source: source, types: types, maxDepth: maxDepth)
        defer {
            types = session.types
            source = session.source
        }
        return try session.decodeMessage()
    }

    /// Decodes every message of an in-memory stream.
    mutating func decodeAll(_ bytes: [UInt8]) throws -> [GobMessage] {
        var stream = GobByteStream(bytes)
        var messages: [GobMessage] = []
        while let message = try decode(from: &stream) { messages.append(message) }
        return messages
    }

    /// The type received under `id`, as a self-contained description (names included).
    func type(forID id: Int) throws -> GobType {
        try GobDecodeSession<GobByteStream>.describe(id, types: types, depth: 0, maxDepth: maxDepth, visiting: [])
    }
}

/// The state of decoding one top-level value: the stream, the message being read, and the types.
struct GobDecodeSession<Source: GobMessageSource> {
    var source: Source
    var types: [Int: GobWireType]
    let maxDepth: Int
    private var reader = GobByteReader([])

    init(source: Source, types: [Int: GobWireType], maxDepth: Int) {
        self.source = source
        self.types = types
        self.maxDepth = maxDepth
    }

    mutating func decodeMessage() throws -> GobMessage? {
        var sawDefinition = false
        while true {
            guard let message = try source.nextMessage() else {
                if sawDefinition { throw GobError("stream ended after a type definition, before its value") }
                return nil
            }
            reader = GobByteReader(message)
            let id = try reader.readInt()
            if id < 0 {
                try define(id)
                guard reader.isAtEnd else {
                    throw GobError("\(reader.remaining) extra bytes after the definition of type \(-id)")
                }
                sawDefinition = true
                continue
            }
            guard id > 0, id <= Int64(Int32.max) else { throw GobError("invalid value type id \(id)") }
            let value = try decodeTopLevel(Int(id), depth: 0)
            guard reader.isAtEnd else {
                throw GobError("\(reader.remaining) extra bytes after the value of type \(id)")
            }
            return GobMessage(typeID: Int(id), value: value)
        }
    }

    /// Records the definition that follows `-id`. Redefining a type or a reserved id is an error,
    /// as in Go: a stream cannot change a type under values already decoded.
    private mutating func define(_ negativeID: Int64) throws {
        guard negativeID >= -Int64(Int32.max) else { throw GobError("invalid type id \(negativeID)") }
        let id = Int(-negativeID)
        guard id >= GobTypeID.firstUser else { throw GobError("type id \(id) is reserved and cannot be defined") }
        guard types[id] == nil else { throw GobError("type id \(id) is defined twice") }
        do {
            types[id] = try GobTypeDefinitionParser.parse(&reader, id: id)
        } catch {
            throw error.prefixed("definition of type \(id)")
        }
    }

    /// A top-level value: struct fields directly, anything else after a 0 "singleton" delta.
    private mutating func decodeTopLevel(_ id: Int, depth: Int) throws -> GobValue {
        if case .structure(let name, let fields) = types[id] {
            return try decodeStruct(name: name, fields: fields, depth: depth)
        }
        let marker = try reader.readUInt()
        guard marker == 0 else { throw GobError("non-struct value of type \(id) starts with delta \(marker), not 0") }
        return try decodeValue(id, depth: depth)
    }

    private mutating func decodeValue(_ id: Int, depth: Int) throws -> GobValue {
        guard depth <= maxDepth else { throw GobError("values nested deeper than \(maxDepth) levels") }
        switch id {
        case GobTypeID.bool:
            let raw = try reader.readUInt()
            guard raw <= 1 else { throw GobError("invalid bool \(raw)") }
            return .bool(raw == 1)
        case GobTypeID.int: return .int(try reader.readInt())
        case GobTypeID.uint: return .uint(try reader.readUInt())
        case GobTypeID.float: return .float(try reader.readFloat())
        case GobTypeID.complex: return .complex(real: try reader.readFloat(), imaginary: try reader.readFloat())
        case GobTypeID.bytes: return .bytes(try reader.readByteString("[]byte"))
        case GobTypeID.string: return .string(try reader.readString("string"))
        case GobTypeID.interface: return try decodeInterface(depth: depth)
        default: break
        }
        guard let wire = types[id] else { throw GobError("value refers to undefined type id \(id)") }
        switch wire {
        case .array(_, let elem, let count):
            let actual = try reader.readCount("array")
            guard actual == count else { throw GobError("array of type \(id) has \(actual) elements, want \(count)") }
            return .list(try decodeElements(elem, count: actual, depth: depth))
        case .slice(_, let elem):
            let count = try reader.readCount("slice")
            return .list(try decodeElements(elem, count: count, depth: depth))
        case .map(_, let keyID, let elemID):
            let count = try reader.readCount("map", minimumSize: 2)
            var entries: [GobMapEntry] = []
            entries.reserveCapacity(count)
            for index in 0..<count {
                do {
                    let key = try decodeValue(keyID, depth: depth + 1)
                    let value = try decodeValue(elemID, depth: depth + 1)
                    entries.append(GobMapEntry(key: key, value: value))
                } catch let error as GobError {
                    throw error.prefixed("map entry \(index)")
                }
            }
            return .map(entries)
        case .structure(let name, let fields):
            return try decodeStruct(name: name, fields: fields, depth: depth)
        case .external:
            return .encoded(try reader.readByteString("encoded value"))
        }
    }

    private mutating func decodeElements(_ elem: Int, count: Int, depth: Int) throws -> [GobValue] {
        var elements: [GobValue] = []
        elements.reserveCapacity(count)
        for index in 0..<count {
            do {
                elements.append(try decodeValue(elem, depth: depth + 1))
            } catch let error as GobError {
                throw error.prefixed("element \(index)")
            }
        }
        return elements
    }

    /// Fields arrive as deltas from the previous field number; absent fields are zero values.
    private mutating func decodeStruct(name: String, fields: [GobWireField], depth: Int) throws -> GobValue {
        guard depth <= maxDepth else { throw GobError("values nested deeper than \(maxDepth) levels") }
        var values: [String: GobValue] = [:]
        var fieldNumber = -1
        while true {
            let delta = try reader.readUInt()
            if delta == 0 { break }
            guard delta <= UInt64(fields.count - 1 - fieldNumber) else {
                throw GobError(
                    "field delta \(delta) after field \(fieldNumber) is out of range for struct '\(name)' with \(fields.count) fields"
                )
            }
            fieldNumber += Int(delta)
            let field = fields[fieldNumber]
            do {
                values[field.name] = try decodeValue(field.id, depth: depth + 1)
            } catch let error as GobError {
                throw error.prefixed(name.isEmpty ? field.name : "\(name).\(field.name)")
            }
        }
        return .structure(values)
    }

    /// name, then type definitions (each possibly followed by a skipped count, or ending the
    /// message so the value continues in the next one, as Go's encoder splits it), then the
    /// concrete type id, a byte count, and the value encoded as if it were top-level.
    private mutating func decodeInterface(depth: Int) throws -> GobValue {
        let nameLength = try reader.readLength("interface type name")
        if nameLength == 0 { return .interface(nil) }
        guard nameLength <= 1024 else { throw GobError("interface type name of \(nameLength) bytes is too long") }
        let name = String(decoding: try reader.readBytes(nameLength), as: UTF8.self)
        var concreteID: Int64
        while true {
            if reader.isAtEnd {
                guard let next = try source.nextMessage() else {
                    throw GobError("stream ended inside interface value '\(name)'")
                }
                reader = GobByteReader(next)
            }
            concreteID = try reader.readInt()
            if concreteID >= 0 { break }
            try define(concreteID)
            if !reader.isAtEnd { _ = try reader.readUInt() }
        }
        guard concreteID > 0, concreteID <= Int64(Int32.max) else {
            throw GobError("invalid concrete type id \(concreteID) in interface value '\(name)'")
        }
        let id = Int(concreteID)
        let count = try reader.readUInt()
        guard count <= UInt64(reader.remaining) else {
            throw GobError("interface value '\(name)' claims \(count) bytes but only \(reader.remaining) remain")
        }
        let type: GobType
        do {
            type = try Self.describe(id, types: types, depth: 0, maxDepth: maxDepth, visiting: [])
        } catch let error as GobError {
            throw error.prefixed("interface value '\(name)'")
        }
        let value: GobValue
        do {
            value = try decodeTopLevel(id, depth: depth + 1)
        } catch let error as GobError {
            throw error.prefixed("interface value '\(name)'")
        }
        return .interface(GobInterface(name: name, type: type, value: value))
    }

    /// Resolves a type id into a self-contained `GobType`. Recursive types cannot be written
    /// that way, so they are rejected (they never occur in the cf protocol).
    static func describe(
        _ id: Int, types: [Int: GobWireType], depth: Int, maxDepth: Int, visiting: Set<Int>
    ) throws -> GobType {
        guard depth <= maxDepth else { throw GobError("types nested deeper than \(maxDepth) levels") }
        switch id {
        case GobTypeID.bool: return .bool
        case GobTypeID.int: return .int
        case GobTypeID.uint: return .uint
        case GobTypeID.float: return .float
        case GobTypeID.complex: return .complex
        case GobTypeID.bytes: return .bytes
        case GobTypeID.string: return .string
        case GobTypeID.interface: return .interface
        default: break
        }
        guard let wire = types[id] else { throw GobError("undefined type id \(id)") }
        guard !visiting.contains(id) else { throw GobError("type \(id) ('\(wire.name)') is recursive") }
        let inner = visiting.union([id])
        func sub(_ child: Int) throws -> GobType {
            try describe(child, types: types, depth: depth + 1, maxDepth: maxDepth, visiting: inner)
        }
        switch wire {
        case .array(let name, let elem, let count): return .array(name: name, elem: try sub(elem), count: count)
        case .slice(let name, let elem): return .slice(name: name, elem: try sub(elem))
        case .map(let name, let key, let elem): return .map(name: name, key: try sub(key), elem: try sub(elem))
        case .structure(let name, let fields):
            return .structure(name: name, fields: try fields.map { GobStructField($0.name, try sub($0.id)) })
        case .external(let name, let kind): return .external(name: name, kind: kind)
        }
    }
}
