/// cf's `plugin_models.Organization`, the reply to `GetCurrentOrg`.
///
/// Go embeds `OrganizationFields`, so on the wire this is a struct with one field of that name;
/// here the embedded fields are flattened.
public struct Organization: Equatable, Sendable {
    public var guid: String
    public var name: String
    public var quotaDefinition: OrganizationQuota

    public init(guid: String = "", name: String = "", quotaDefinition: OrganizationQuota = OrganizationQuota()) {
        self.guid = guid
        self.name = name
        self.quotaDefinition = quotaDefinition
    }
}

extension Organization: GobConvertible {
    static let fieldsType = GobType.structure(
        name: "OrganizationFields",
        fields: [
            GobStructField("Guid", .string), GobStructField("Name", .string),
            GobStructField("QuotaDefinition", OrganizationQuota.gobType),
        ])

    public static let gobType = GobType.structure(
        name: "Organization", fields: [GobStructField("OrganizationFields", fieldsType)])

    public var gobValue: GobValue {
        .structure([
            "OrganizationFields": .structure([
                "Guid": .string(guid), "Name": .string(name), "QuotaDefinition": quotaDefinition.gobValue,
            ])
        ])
    }

    public init(gobValue: GobValue) throws {
        let outer = try GobStructReader(gobValue, typeName: "Organization")
        guard let inner = outer.fields["OrganizationFields"] else {
            self.init()
            return
        }
        let fields = try GobStructReader(inner, typeName: "OrganizationFields")
        self.init(
            guid: try fields.string("Guid"), name: try fields.string("Name"),
            quotaDefinition: try fields.optional("QuotaDefinition") ?? OrganizationQuota())
    }
}
