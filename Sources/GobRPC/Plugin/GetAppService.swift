/// cf's `plugin_models.GetApp_ServiceSummary`: a service instance bound to the app.
public struct GetAppService: Equatable, Sendable {
    public var guid: String
    public var name: String

    public init(guid: String = "", name: String = "") {
        self.guid = guid
        self.name = name
    }
}

extension GetAppService: GobConvertible {
    public static let gobType = GobType.structure(
        name: "GetApp_ServiceSummary", fields: [GobStructField("Guid", .string), GobStructField("Name", .string)])

    public var gobValue: GobValue { .structure(["Guid": .string(guid), "Name": .string(name)]) }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "GetApp_ServiceSummary")
        self.init(guid: try fields.string("Guid"), name: try fields.string("Name"))
    }
}
