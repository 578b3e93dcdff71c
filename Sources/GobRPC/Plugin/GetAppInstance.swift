public import Foundation

/// cf's `plugin_models.GetApp_AppInstanceFields`: one instance of the app.
public struct GetAppInstance: Equatable, Sendable {
    public var state: String
    public var details: String
    /// When the instance started; nil when cf sent Go's zero time.
    public var since: Date?
    public var cpuUsage: Double
    public var diskQuota: Int64
    public var diskUsage: Int64
    public var memQuota: Int64
    public var memUsage: Int64

    public init(
        state: String = "", details: String = "", since: Date? = nil, cpuUsage: Double = 0, diskQuota: Int64 = 0,
        diskUsage: Int64 = 0, memQuota: Int64 = 0, memUsage: Int64 = 0
    ) {
        self.state = state
        self.details = details
        self.since = since
        self.cpuUsage = cpuUsage
        self.diskQuota = diskQuota
        self.diskUsage = diskUsage
        self.memQuota = memQuota
        self.memUsage = memUsage
    }
}

extension GetAppInstance: GobConvertible {
    public static let gobType = GobType.structure(
        name: "GetApp_AppInstanceFields",
        fields: [
            GobStructField("State", .string), GobStructField("Details", .string), GobStructField("Since", .time),
            GobStructField("CpuUsage", .float), GobStructField("DiskQuota", .int), GobStructField("DiskUsage", .int),
            GobStructField("MemQuota", .int), GobStructField("MemUsage", .int),
        ])

    public var gobValue: GobValue {
        var fields: [String: GobValue] = [
            "State": .string(state), "Details": .string(details), "CpuUsage": .float(cpuUsage),
            "DiskQuota": .int(diskQuota), "DiskUsage": .int(diskUsage), "MemQuota": .int(memQuota), "MemUsage": .int(memUsage),
        ]
        if let since { fields["Since"] = .encoded(GobTime(since).marshaled) }
        return .structure(fields)
    }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "GetApp_AppInstanceFields")
        self.init(
            state: try fields.string("State"), details: try fields.string("Details"), since: try fields.time("Since")?.date,
            cpuUsage: try fields.double("CpuUsage"), diskQuota: try fields.int64("DiskQuota"),
            diskUsage: try fields.int64("DiskUsage"), memQuota: try fields.int64("MemQuota"), memUsage: try fields.int64("MemUsage"))
    }
}
