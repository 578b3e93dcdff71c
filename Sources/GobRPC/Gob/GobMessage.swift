/// One decoded value message: the sender's type id and the value.
struct GobMessage: Equatable, Sendable {
    var typeID: Int
    var value: GobValue
}
