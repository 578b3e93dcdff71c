/// cf's `plugin_models.QuotaFields`: an organization's quota definition.
public struct OrganizationQuota: Equatable, Sendable {
    public var guid: String
    public var name: String
    public var memoryLimit: Int64
    public var instanceMemoryLimit: Int64
    public var routesLimit: Int
    public var servicesLimit: Int
    public var nonBasicServicesAllowed: Bool

    public init(
        guid: String = "", name: String = "", memoryLimit: Int64 = 0, instanceMemoryLimit: Int64 = 0,
        routesLimit: Int = 0, servicesLimit: Int = 0, nonBasicServicesAllowed: Bool = false
    ) {
        self.guid = guid
        self.name = name
        self.memoryLimit = memoryLimit
        self.instanceMemoryLimit = instanceMemoryLimit
        self.routesLimit = routesLimit
        self.servicesLimit = servicesLimit
        self.nonBasicServicesAllowed = nonBasicServicesAllowed
    }
}

extension OrganizationQuota: GobConvertible {
    public static let gobType = GobType.structure(
        name: "QuotaFields",
        fields: [
            GobStructField("Guid", .string), GobStructField("Name", .string), GobStructField("MemoryLimit", .int),
            GobStructField("InstanceMemoryLimit", .int), GobStructField("RoutesLimit", .int),
            GobStructField("ServicesLimit", .int), GobStructField("NonBasicServicesAllowed", .bool),
        ])

    public var gobValue: GobValue {
        .structure([
            "Guid": .string(guid), "Name": .string(name), "MemoryLimit": .int(memoryLimit),
            "InstanceMemoryLimit": .int(instanceMemoryLimit), "RoutesLimit": .int(Int64(routesLimit)),
            "ServicesLimit": .int(Int64(servicesLimit)), "NonBasicServicesAllowed": .bool(nonBasicServicesAllowed),
        ])
    }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "QuotaFields")
        self.init(
            guid: try fields.string("Guid"), name: try fields.string("Name"), memoryLimit: try fields.int64("MemoryLimit"),
            instanceMemoryLimit: try fields.int64("InstanceMemoryLimit"), routesLimit: try fields.int("RoutesLimit"),
            servicesLimit: try fields.int("ServicesLimit"), nonBasicServicesAllowed: try fields.bool("NonBasicServicesAllowed"))
    }
}
