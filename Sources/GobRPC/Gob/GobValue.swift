/// A gob value, independent of any Swift type. Its `GobType` decides how it is written.
///
/// Struct values hold fields by name; a field that is absent is Go's zero value (or a nil
/// pointer), which is what gob itself does when it leaves zero fields out.
public indirect enum GobValue: Equatable, Sendable {
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case complex(real: Double, imaginary: Double)
    case bytes([UInt8])
    case string(String)
    /// The elements of a slice or an array.
    case list([GobValue])
    /// Map entries in wire order (Go sends maps in no particular order).
    case map([GobMapEntry])
    case structure([String: GobValue])
    /// An interface slot; nil is Go's nil interface.
    case interface(GobInterface?)
    /// The bytes of a self-marshalling value (GobEncode, MarshalBinary or MarshalText).
    case encoded([UInt8])

    /// The value inside an interface (repeatedly), or the value itself.
    public var unwrapped: GobValue? {
        var current = self
        while case .interface(let inner) = current {
            guard let inner else { return nil }
            current = inner.value
        }
        return current
    }

    public var stringValue: String? {
        if case .string(let s) = unwrapped { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = unwrapped { return b }
        return nil
    }

    /// Signed or unsigned integers that fit in Int64.
    public var int64Value: Int64? {
        switch unwrapped {
        case .int(let i): return i
        case .uint(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
        default: return nil
        }
    }

    /// Floats, and integers converted to Double (JSON numbers arrive as float64).
    public var doubleValue: Double? {
        switch unwrapped {
        case .float(let d): return d
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        default: return nil
        }
    }

    /// A map's entries keyed by string, for `map[string]...` values.
    public var stringKeyedEntries: [String: GobValue]? {
        guard case .map(let entries) = unwrapped else { return nil }
        var result: [String: GobValue] = [:]
        for entry in entries {
            guard let key = entry.key.stringValue else { return nil }
            result[key] = entry.value
        }
        return result
    }

    /// A short name of the case, for error messages.
    var kindName: String {
        switch self {
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .float: "float"
        case .complex: "complex"
        case .bytes: "bytes"
        case .string: "string"
        case .list: "list"
        case .map: "map"
        case .structure: "struct"
        case .interface: "interface"
        case .encoded: "encoded bytes"
        }
    }
}
