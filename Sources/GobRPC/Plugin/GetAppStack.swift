/// cf's `plugin_models.GetApp_Stack`.
public struct GetAppStack: Equatable, Sendable {
    public var guid: String
    public var name: String
    public var description: String

    public init(guid: String = "", name: String = "", description: String = "") {
        self.guid = guid
        self.name = name
        self.description = description
    }
}

extension GetAppStack: GobConvertible {
    public static let gobType = GobType.structure(
        name: "GetApp_Stack",
        fields: [GobStructField("Guid", .string), GobStructField("Name", .string), GobStructField("Description", .string)])

    public var gobValue: GobValue {
        .structure(["Guid": .string(guid), "Name": .string(name), "Description": .string(description)])
    }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "GetApp_Stack")
        self.init(guid: try fields.string("Guid"), name: try fields.string("Name"), description: try fields.string("Description"))
    }
}
