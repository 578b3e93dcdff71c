/// A Swift type that has a gob form: a `GobType` describing it on the wire and conversions to and
/// from `GobValue`. Conversions from gob accept what Go would decode into the same Go type.
public protocol GobConvertible: Sendable {
    static var gobType: GobType { get }
    var gobValue: GobValue { get }
    init(gobValue: GobValue) throws
}

extension String: GobConvertible {
    public static var gobType: GobType { .string }
    public var gobValue: GobValue { .string(self) }
    public init(gobValue: GobValue) throws {
        guard let s = gobValue.stringValue else { throw GobError.mismatch("string", gobValue) }
        self = s
    }
}

extension Bool: GobConvertible {
    public static var gobType: GobType { .bool }
    public var gobValue: GobValue { .bool(self) }
    public init(gobValue: GobValue) throws {
        guard let b = gobValue.boolValue else { throw GobError.mismatch("bool", gobValue) }
        self = b
    }
}

extension Int: GobConvertible {
    public static var gobType: GobType { .int }
    public var gobValue: GobValue { .int(Int64(self)) }
    public init(gobValue: GobValue) throws {
        guard let i = gobValue.int64Value, let value = Int(exactly: i) else { throw GobError.mismatch("int", gobValue) }
        self = value
    }
}

extension Int64: GobConvertible {
    public static var gobType: GobType { .int }
    public var gobValue: GobValue { .int(self) }
    public init(gobValue: GobValue) throws {
        guard let i = gobValue.int64Value else { throw GobError.mismatch("int64", gobValue) }
        self = i
    }
}

extension UInt64: GobConvertible {
    public static var gobType: GobType { .uint }
    public var gobValue: GobValue { .uint(self) }
    public init(gobValue: GobValue) throws {
        switch gobValue.unwrapped {
        case .uint(let u): self = u
        case .int(let i) where i >= 0: self = UInt64(i)
        default: throw GobError.mismatch("uint", gobValue)
        }
    }
}

extension Double: GobConvertible {
    public static var gobType: GobType { .float }
    public var gobValue: GobValue { .float(self) }
    public init(gobValue: GobValue) throws {
        guard case .float(let d) = gobValue.unwrapped else { throw GobError.mismatch("float64", gobValue) }
        self = d
    }
}

/// A Go slice of the element's type. Unnamed, as Go names a slice that is not a struct field.
extension Array: GobConvertible where Element: GobConvertible {
    public static var gobType: GobType { .slice(name: "", elem: Element.gobType) }
    public var gobValue: GobValue { .list(map(\.gobValue)) }
    public init(gobValue: GobValue) throws {
        guard case .list(let items) = gobValue.unwrapped else { throw GobError.mismatch("slice", gobValue) }
        self = try items.enumerated().map { index, item in
            do { return try Element(gobValue: item) } catch let error as GobError { throw error.prefixed("element \(index)") }
        }
    }
}

extension GobError {
    static func mismatch(_ expected: String, _ value: GobValue) -> GobError {
        GobError("expected \(expected), got \(value.unwrapped?.kindName ?? "nil interface")")
    }
}
