/// net/rpc's `Response{ServiceMethod string; Seq uint64; Error string}`, sent before every reply.
struct RPCResponseHeader: GobConvertible, Equatable {
    var serviceMethod: String
    var seq: UInt64
    /// Non-empty when the call failed; the body that follows is then a placeholder to discard.
    var error: String

    static let gobType = GobType.structure(
        name: "Response",
        fields: [GobStructField("ServiceMethod", .string), GobStructField("Seq", .uint), GobStructField("Error", .string)])

    var gobValue: GobValue {
        .structure(["ServiceMethod": .string(serviceMethod), "Seq": .uint(seq), "Error": .string(error)])
    }

    init(serviceMethod: String, seq: UInt64, error: String = "") {
        self.serviceMethod = serviceMethod
        self.seq = seq
        self.error = error
    }

    init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "Response")
        serviceMethod = try fields.string("ServiceMethod")
        seq = try fields.optional("Seq") ?? 0
        error = try fields.string("Error")
    }
}
