import DeltaSync
import Glibc
import Hummingbird
import HummingbirdCore
import Logging
import NIOPosix

/// Assembles the controller: the backend supervisor, the push service, the control routes and the proxy,
/// served by one Hummingbird application.
struct ControllerServer: Sendable {
    let config: ControllerConfig
    /// The app directory: what pushes change and the backend runs in.
    let root: String
    let backend: BackendSupervisor
    let pushes: PushService
    /// Asks the Cloud Controller about developers' tokens, when `cf_api` is set.
    let cloudController: CloudControllerClient

    /// Everything the controller serves, for `config` in the app directory `root`.
    init(config: ControllerConfig, root: String, environment: [String: String]) throws {
        self.config = config
        self.root = root
        var passThrough = OutputPassThrough.controllerStreams
        passThrough.hidden = config.token.map { [Array($0.utf8)] } ?? []
        backend = BackendSupervisor(
            configuration: .init(
                command: config.backendCommand, workingDirectory: root, backendPort: UInt16(config.backendPort),
                environment: Self.appEnvironment(environment), gracePeriod: config.gracePeriod,
                restartPolicy: .init(restartsOnCrash: config.restartOnCrash), passThrough: passThrough))
        pushes = try PushService(root: root, maximumFileSize: config.maxPushBytes * 8)
        cloudController = CloudControllerClient()
    }

    /// What the app and the restart rules' commands run with: the controller's environment without its own settings
    /// (`FASTPUSH_TOKEN` and the other `FASTPUSH_*` variables), so app code cannot read the control token.
    static func appEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { !$0.key.hasPrefix("FASTPUSH_") }
    }

    /// How many client connections are taken at once: the descriptor limit (`ulimit -n`) less a reserve, a quarter of
    /// it and at least 64, for the connections to the app, the files of pushes and the backend's pipes. Beyond it,
    /// connections wait in the listen queue, so that a request taken can always reach the app. Nil when unlimited.
    static func connectionLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
            limit.rlim_cur < 1 << 30
        else { return nil }
        let descriptors = Int(limit.rlim_cur)
        return max(16, descriptors - max(64, descriptors / 4))
    }

    /// The application; `onServerRunning` receives the bound port (tests bind port 0).
    func makeApplication(
        environment: [String: String], onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let token = config.token ?? LegacyFileAPI.legacyToken(config: config, environment: environment)
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(config.bindAddress)
        var cloudFoundry: CloudFoundryAuthorizer? = nil
        if let api = config.cfAPI {
            if let application = (try? VCAPApplication.read(from: environment))?.applicationID {
                cloudFoundry = CloudFoundryAuthorizer(apiURL: api, applicationID: application, client: cloudController)
            } else {
                ControllerLog.warning("cf_api is set but VCAP_APPLICATION has no application_id, so Cloud Foundry tokens cannot be checked")
            }
        }
        if token == nil && cloudFoundry == nil {
            ControllerLog.warning(
                loopback
                    ? "no control token is configured; the control API is open on loopback only"
                    : "no control token is configured, so control requests are refused; set FASTPUSH_TOKEN")
        }
        let instance = InstanceIdentity.read(from: environment)
        if let instance {
            ControllerLog.info("this is \(instance); control requests addressed to another instance are refused")
        } else {
            ControllerLog.info(
                "no instance identity: neither CF_INSTANCE_INDEX nor VCAP_APPLICATION gives this instance's index, so control requests are not checked against X-Cf-App-Instance")
        }
        let router = Router(context: ControllerRequestContext.self)
        ControlAPI(
            config: config, pushes: pushes, backend: backend, legacy: LegacyFileAPI(config: config, appRoot: root),
            identity: ContainerIdentity(environment: environment, instance: instance)
        ).register(
            on: router, token: token, openWithoutToken: loopback, cloudFoundry: cloudFoundry, instance: instance)
        let backend = self.backend
        let proxy = ReverseProxy(
            backendPort: config.backendPort, waitLimit: config.requestWait,
            backendIsUp: { backend.acceptsRequests },
            waitForBackend: { limit in await backend.readiness(within: limit) })
        return Application(
            responder: router.buildResponder(),
            server: FrontDoorChannel.server(
                basePath: config.basePath, proxy: proxy, timeouts: ConnectionTimeouts(config)),
            configuration: .init(
                address: .hostname(config.bindAddress, port: config.port), serverName: "fastpush",
                availableConnectionsDelegate: Self.connectionLimit().map {
                    MaximumAvailableConnections($0, logger: Logger(label: "fastpush"))
                }),
            onServerRunning: { channel in
                // First in the listener's pipeline, before NIO's own backoff (which the failure leaves spinning).
                try? await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(ListenerBackoff(), position: .first)
                }.get()
                await onServerRunning(channel.localAddress?.port ?? 0)
            })
    }
}
