/// A type definition as received from the other side: types are referenced by the sender's ids,
/// which may point to definitions that arrive later in the stream.
enum GobWireType: Equatable, Sendable {
    case array(name: String, elem: Int, count: Int)
    case slice(name: String, elem: Int)
    case structure(name: String, fields: [GobWireField])
    case map(name: String, key: Int, elem: Int)
    case external(name: String, kind: GobExternalKind)

    var name: String {
        switch self {
        case .array(let name, _, _), .slice(let name, _), .structure(let name, _), .map(let name, _, _),
            .external(let name, _):
            name
        }
    }
}

/// A struct field of a received definition.
struct GobWireField: Equatable, Sendable {
    var name: String
    var id: Int
}
