/// net/rpc's `Request{ServiceMethod string; Seq uint64}`, sent before every argument.
struct RPCRequestHeader: GobConvertible, Equatable {
    var serviceMethod: String
    var seq: UInt64

    static let gobType = GobType.structure(
        name: "Request", fields: [GobStructField("ServiceMethod", .string), GobStructField("Seq", .uint)])

    var gobValue: GobValue { .structure(["ServiceMethod": .string(serviceMethod), "Seq": .uint(seq)]) }

    init(serviceMethod: String, seq: UInt64) {
        self.serviceMethod = serviceMethod
        self.seq = seq
    }

    init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "Request")
        serviceMethod = try fields.string("ServiceMethod")
        seq = try fields.optional("Seq") ?? 0
    }
}
