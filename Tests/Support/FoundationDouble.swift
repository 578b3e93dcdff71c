/// What the Go peer's Cloud Foundry looks like (`GOPEER_FOUNDATION`, read by `GoPeer/foundation.go`): what the cf
/// CLI answers, the space, and the apps its Cloud Controller and router serve.
public struct FoundationDouble: Encodable, Sendable {
    public struct App: Encodable, Sendable {
        public var guid: String
        public var name: String
        public var state = "STARTED"
        public var env: [String: String] = [:]
        /// 403: the environment is refused, as to a user without the Space Developer role.
        public var envStatus = 200
        /// `url` without a scheme; `ROUTER` stands for the router's host and port.
        public var routes: [Route] = []
        /// Each instance's state (`RUNNING`, `CRASHED`, `STARTING`, `DOWN`), in index order.
        public var instances = ["RUNNING"]
        /// Each instance's controller port, for the router.
        public var backends: [Int] = []

        public init(guid: String, name: String) {
            self.guid = guid
            self.name = name
        }

        enum CodingKeys: String, CodingKey {
            case guid, name, state, env, envStatus = "env_status", routes, instances, backends
        }
    }

    public struct Route: Encodable, Sendable {
        public var url: String
        public var `protocol` = "http"
        public init(url: String, protocol: String = "http") {
            self.url = url
            self.protocol = `protocol`
        }
    }

    public var tls = false
    public var sslDisabled = false
    /// What the cf CLI gives as the API endpoint instead of the Cloud Controller double's URL.
    public var apiEndpoint = ""
    public var accessToken = "bearer peer-token"
    /// The token the Cloud Controller accepts; another is answered 401 (an expired session). Empty: `accessToken`.
    public var acceptedToken = ""
    public var spaceGuid = "space-guid"
    public var spaceName = "dev"
    public var apps: [App] = []
    /// `""`: the router honours X-Cf-App-Instance; `ignore-header` or `strip-header`: it sends a request addressed to
    /// instance N to instance N+1, forwarding or removing the header.
    public var misroute = ""

    public init(apps: [App]) { self.apps = apps }

    enum CodingKeys: String, CodingKey {
        case tls, sslDisabled = "ssl_disabled", apiEndpoint = "api_endpoint", accessToken = "access_token", acceptedToken = "accepted_token", space
        case apps, misroute
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tls, forKey: .tls)
        try container.encode(sslDisabled, forKey: .sslDisabled)
        try container.encode(apiEndpoint, forKey: .apiEndpoint)
        try container.encode(accessToken, forKey: .accessToken)
        try container.encode(acceptedToken, forKey: .acceptedToken)
        try container.encode(["guid": spaceGuid, "name": spaceName], forKey: .space)
        try container.encode(apps, forKey: .apps)
        try container.encode(misroute, forKey: .misroute)
    }
}
