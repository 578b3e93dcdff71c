/// cf's `plugin_models.Space`, the reply to `GetCurrentSpace`.
///
/// Go embeds `SpaceFields`, so on the wire this is a struct with one field of that name.
public struct Space: Equatable, Sendable {
    public var guid: String
    public var name: String

    public init(guid: String = "", name: String = "") {
        self.guid = guid
        self.name = name
    }
}

extension Space: GobConvertible {
    static let fieldsType = GobType.structure(
        name: "SpaceFields", fields: [GobStructField("Guid", .string), GobStructField("Name", .string)])

    public static let gobType = GobType.structure(name: "Space", fields: [GobStructField("SpaceFields", fieldsType)])

    public var gobValue: GobValue {
        .structure(["SpaceFields": .structure(["Guid": .string(guid), "Name": .string(name)])])
    }

    public init(gobValue: GobValue) throws {
        let outer = try GobStructReader(gobValue, typeName: "Space")
        guard let inner = outer.fields["SpaceFields"] else {
            self.init()
            return
        }
        let fields = try GobStructReader(inner, typeName: "SpaceFields")
        self.init(guid: try fields.string("Guid"), name: try fields.string("Name"))
    }
}
