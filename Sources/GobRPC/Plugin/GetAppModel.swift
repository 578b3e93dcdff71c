public import Foundation

/// cf's `plugin_models.GetAppModel`, the reply to `GetApp`.
public struct GetAppModel: Equatable, Sendable {
    public var guid: String
    public var name: String
    public var buildpackUrl: String
    public var command: String
    public var detectedStartCommand: String
    public var diskQuota: Int64
    /// The app's user-provided environment (`map[string]interface{}`): values arrive as interface
    /// values; read them with `stringValue`, `doubleValue`, `boolValue` and friends.
    public var environmentVars: [String: GobValue]
    public var instanceCount: Int
    public var memory: Int64
    public var runningInstances: Int
    public var healthCheckTimeout: Int
    public var state: String
    public var spaceGuid: String
    public var packageUpdatedAt: Date?
    public var packageState: String
    public var stagingFailedReason: String
    public var stack: GetAppStack?
    public var instances: [GetAppInstance]
    public var routes: [GetAppRoute]
    public var services: [GetAppService]

    public init(
        guid: String = "", name: String = "", buildpackUrl: String = "", command: String = "",
        detectedStartCommand: String = "", diskQuota: Int64 = 0, environmentVars: [String: GobValue] = [:],
        instanceCount: Int = 0, memory: Int64 = 0, runningInstances: Int = 0, healthCheckTimeout: Int = 0,
        state: String = "", spaceGuid: String = "", packageUpdatedAt: Date? = nil, packageState: String = "",
        stagingFailedReason: String = "", stack: GetAppStack? = nil, instances: [GetAppInstance] = [],
        routes: [GetAppRoute] = [], services: [GetAppService] = []
    ) {
        self.guid = guid
        self.name = name
        self.buildpackUrl = buildpackUrl
        self.command = command
        self.detectedStartCommand = detectedStartCommand
        self.diskQuota = diskQuota
        self.environmentVars = environmentVars
        self.instanceCount = instanceCount
        self.memory = memory
        self.runningInstances = runningInstances
        self.healthCheckTimeout = healthCheckTimeout
        self.state = state
        self.spaceGuid = spaceGuid
        self.packageUpdatedAt = packageUpdatedAt
        self.packageState = packageState
        self.stagingFailedReason = stagingFailedReason
        self.stack = stack
        self.instances = instances
        self.routes = routes
        self.services = services
    }

    /// The app's route URLs as cf prints them.
    public var routeURLs: [String] { routes.map(\.url) }
}

extension GetAppModel: GobConvertible {
    static let environmentType = GobType.map(name: "map[string]interface {}", key: .string, elem: .interface)

    public static let gobType = GobType.structure(
        name: "GetAppModel",
        fields: [
            GobStructField("Guid", .string), GobStructField("Name", .string), GobStructField("BuildpackUrl", .string),
            GobStructField("Command", .string), GobStructField("DetectedStartCommand", .string),
            GobStructField("DiskQuota", .int), GobStructField("EnvironmentVars", environmentType),
            GobStructField("InstanceCount", .int), GobStructField("Memory", .int),
            GobStructField("RunningInstances", .int), GobStructField("HealthCheckTimeout", .int),
            GobStructField("State", .string), GobStructField("SpaceGuid", .string),
            GobStructField("PackageUpdatedAt", .time), GobStructField("PackageState", .string),
            GobStructField("StagingFailedReason", .string), GobStructField("Stack", GetAppStack.gobType),
            GobStructField("Instances", .slice(name: "[]plugin_models.GetApp_AppInstanceFields", elem: GetAppInstance.gobType)),
            GobStructField("Routes", .slice(name: "[]plugin_models.GetApp_RouteSummary", elem: GetAppRoute.gobType)),
            GobStructField("Services", .slice(name: "[]plugin_models.GetApp_ServiceSummary", elem: GetAppService.gobType)),
        ])

    public var gobValue: GobValue {
        var fields: [String: GobValue] = [
            "Guid": .string(guid), "Name": .string(name), "BuildpackUrl": .string(buildpackUrl),
            "Command": .string(command), "DetectedStartCommand": .string(detectedStartCommand),
            "DiskQuota": .int(diskQuota), "InstanceCount": .int(Int64(instanceCount)), "Memory": .int(memory),
            "RunningInstances": .int(Int64(runningInstances)), "HealthCheckTimeout": .int(Int64(healthCheckTimeout)),
            "State": .string(state), "SpaceGuid": .string(spaceGuid), "PackageState": .string(packageState),
            "StagingFailedReason": .string(stagingFailedReason), "Instances": .list(instances.map(\.gobValue)),
            "Routes": .list(routes.map(\.gobValue)), "Services": .list(services.map(\.gobValue)),
        ]
        if !environmentVars.isEmpty {
            fields["EnvironmentVars"] = .map(
                environmentVars.sorted { $0.key < $1.key }.map { GobMapEntry(key: .string($0.key), value: $0.value) })
        }
        if let packageUpdatedAt { fields["PackageUpdatedAt"] = .encoded(GobTime(packageUpdatedAt).marshaled) }
        if let stack { fields["Stack"] = stack.gobValue }
        return .structure(fields)
    }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "GetAppModel")
        self.init(
            guid: try fields.string("Guid"), name: try fields.string("Name"),
            buildpackUrl: try fields.string("BuildpackUrl"), command: try fields.string("Command"),
            detectedStartCommand: try fields.string("DetectedStartCommand"), diskQuota: try fields.int64("DiskQuota"),
            environmentVars: try fields.stringMap("EnvironmentVars"), instanceCount: try fields.int("InstanceCount"),
            memory: try fields.int64("Memory"), runningInstances: try fields.int("RunningInstances"),
            healthCheckTimeout: try fields.int("HealthCheckTimeout"), state: try fields.string("State"),
            spaceGuid: try fields.string("SpaceGuid"), packageUpdatedAt: try fields.time("PackageUpdatedAt")?.date,
            packageState: try fields.string("PackageState"), stagingFailedReason: try fields.string("StagingFailedReason"),
            stack: try fields.optional("Stack"), instances: try fields.list("Instances"), routes: try fields.list("Routes"),
            services: try fields.list("Services"))
    }
}
