/// cf's `plugin_models.GetApp_RouteSummary`: one route mapped to the app.
public struct GetAppRoute: Equatable, Sendable {
    public var guid: String
    public var host: String
    public var domain: GetAppDomain
    public var path: String
    public var port: Int

    public init(guid: String = "", host: String = "", domain: GetAppDomain = GetAppDomain(), path: String = "", port: Int = 0) {
        self.guid = guid
        self.host = host
        self.domain = domain
        self.path = path
        self.port = port
    }

    /// The route as cf prints it: `host.domain` (the domain alone without a host), then the path.
    public var url: String {
        (host.isEmpty ? domain.name : "\(host).\(domain.name)") + path
    }
}

extension GetAppRoute: GobConvertible {
    public static let gobType = GobType.structure(
        name: "GetApp_RouteSummary",
        fields: [
            GobStructField("Guid", .string), GobStructField("Host", .string), GobStructField("Domain", GetAppDomain.gobType),
            GobStructField("Path", .string), GobStructField("Port", .int),
        ])

    public var gobValue: GobValue {
        .structure([
            "Guid": .string(guid), "Host": .string(host), "Domain": domain.gobValue, "Path": .string(path),
            "Port": .int(Int64(port)),
        ])
    }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "GetApp_RouteSummary")
        self.init(
            guid: try fields.string("Guid"), host: try fields.string("Host"),
            domain: try fields.optional("Domain") ?? GetAppDomain(), path: try fields.string("Path"), port: try fields.int("Port"))
    }
}
