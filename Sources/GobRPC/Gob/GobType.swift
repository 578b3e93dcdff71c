/// The shape of a gob value, as the encoder describes it to the other side.
///
/// Composite types carry the name gob puts in `CommonType.Name`. Gob ignores names when
/// decoding, but they are part of the bytes, so a type must be described with Go's name to
/// reproduce a Go peer's stream exactly (struct types by their Go name, unnamed slices and maps
/// in a struct field by their Go spelling such as `[]plugin.Command`, other unnamed ones by "").
public indirect enum GobType: Hashable, Sendable {
    case bool
    case int
    case uint
    case float
    case complex
    case bytes
    case string
    /// An interface (`interface{}`) slot: each value names its concrete type.
    case interface
    case array(name: String, elem: GobType, count: Int)
    case slice(name: String, elem: GobType)
    case map(name: String, key: GobType, elem: GobType)
    case structure(name: String, fields: [GobStructField])
    /// A type that marshals itself (GobEncoder, BinaryMarshaler or TextMarshaler), like time.Time.
    case external(name: String, kind: GobExternalKind)

    /// Go's `time.Time`, which is sent as its GobEncode bytes.
    public static let time = GobType.external(name: "", kind: .gobEncoder)

    /// The predefined id of a built-in type; nil for types that need a definition on the wire.
    var builtinID: Int? {
        switch self {
        case .bool: GobTypeID.bool
        case .int: GobTypeID.int
        case .uint: GobTypeID.uint
        case .float: GobTypeID.float
        case .bytes: GobTypeID.bytes
        case .string: GobTypeID.string
        case .complex: GobTypeID.complex
        case .interface: GobTypeID.interface
        case .array, .slice, .map, .structure, .external: nil
        }
    }

    /// A short Go-like spelling for error messages.
    var summary: String {
        switch self {
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .float: "float64"
        case .complex: "complex128"
        case .bytes: "[]byte"
        case .string: "string"
        case .interface: "interface{}"
        case .array(let name, let elem, let count): name.isEmpty ? "[\(count)]\(elem.summary)" : name
        case .slice(let name, let elem): name.isEmpty ? "[]\(elem.summary)" : name
        case .map(let name, let key, let elem): name.isEmpty ? "map[\(key.summary)]\(elem.summary)" : name
        case .structure(let name, _): name.isEmpty ? "struct" : name
        case .external(let name, _): name.isEmpty ? "external" : name
        }
    }
}

/// One field of a struct type, in wire order.
public struct GobStructField: Hashable, Sendable {
    public var name: String
    public var type: GobType

    public init(_ name: String, _ type: GobType) {
        self.name = name
        self.type = type
    }
}

/// Which self-marshalling interface a type uses; each is a different `wireType` field.
public enum GobExternalKind: Int, Hashable, Sendable {
    case gobEncoder = 4
    case binaryMarshaler = 5
    case textMarshaler = 6
}
