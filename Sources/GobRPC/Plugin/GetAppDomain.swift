/// cf's `plugin_models.GetApp_DomainFields`.
public struct GetAppDomain: Equatable, Sendable {
    public var guid: String
    public var name: String

    public init(guid: String = "", name: String = "") {
        self.guid = guid
        self.name = name
    }
}

extension GetAppDomain: GobConvertible {
    public static let gobType = GobType.structure(
        name: "GetApp_DomainFields", fields: [GobStructField("Guid", .string), GobStructField("Name", .string)])

    public var gobValue: GobValue { .structure(["Guid": .string(guid), "Name": .string(name)]) }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "GetApp_DomainFields")
        self.init(guid: try fields.string("Guid"), name: try fields.string("Name"))
    }
}
