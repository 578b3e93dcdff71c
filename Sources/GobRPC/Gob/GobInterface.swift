/// A non-nil interface value: the concrete type's registered name, its type, and the value.
///
/// Go looks the name up in its registry (`gob.Register`); basic types are registered under
/// their Go spelling, e.g. "string", "float64", "map[string]interface {}".
public struct GobInterface: Equatable, Sendable {
    public var name: String
    public var type: GobType
    public var value: GobValue

    public init(name: String, type: GobType, value: GobValue) {
        self.name = name
        self.type = type
        self.value = value
    }

    public static func string(_ s: String) -> GobInterface { .init(name: "string", type: .string, value: .string(s)) }
    public static func float64(_ d: Double) -> GobInterface { .init(name: "float64", type: .float, value: .float(d)) }
    public static func bool(_ b: Bool) -> GobInterface { .init(name: "bool", type: .bool, value: .bool(b)) }
    public static func int(_ i: Int) -> GobInterface { .init(name: "int", type: .int, value: .int(Int64(i))) }
}
