import DeltaSync
import ServiceLifecycle
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A running controller: the backend it supervises, the proxy in front of it and the sync API.
///
/// `cf-fastpush-controller` is one of these serving until SIGTERM or SIGINT; `fastpush demo` and other tools
/// embed one for as long as they need it.
public final class EmbeddedController: Sendable {
    /// The port the controller listens on (the one the system chose when the configuration asked for 0).
    public let port: Int
    private let server: ControllerServer
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    /// Loads the settings (config file, then `environment`), starts the backend and starts serving `root`.
    ///
    /// - Parameters:
    ///   - root: The app directory: what pushes change and the backend runs in.
    ///   - environment: The controller's settings and the backend's environment.
    ///   - searchPaths: Where to look for the config file; `nil` is the usual `/etc`, `~/.config`, working
    ///     directory; `[]` reads the environment only.
    ///   - shutdownSignals: Whether SIGTERM and SIGINT stop the controller (for the start command, not for tools
    ///     that embed it).
    /// - Throws: A configuration error that names the bad setting, or why the server could not start.
    public static func start(
        root: String, environment: [String: String], searchPaths: [String]? = nil, shutdownSignals: Bool = false
    ) async throws -> EmbeddedController {
        let config = try ControllerConfig.load(environment: environment, searchPaths: searchPaths)
        for warning in config.warnings { ControllerLog.warning(warning) }
        let server = try ControllerServer(config: config, root: root, environment: environment)
        try await server.backend.start()
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let application = server.makeApplication(environment: environment) { port in
            ControllerLog.info("listening on \(config.bindAddress):\(port); the app gets PORT=\(config.backendPort)")
            listening.yield(port)
            listening.finish()
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [application], gracefulShutdownSignals: shutdownSignals ? [.sigterm, .sigint] : [],
                logger: .init(label: "fastpush")))
        let running = Task {
            defer { listening.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try? await running.value
            await server.backend.stop()
            throw ControllerError(.configuration, "the controller could not listen on \(config.bindAddress):\(config.port)")
        }
        return EmbeddedController(port: port, server: server, group: group, running: running)
    }

    private init(port: Int, server: ControllerServer, group: ServiceGroup, running: Task<Void, any Error>) {
        self.port = port
        self.server = server
        self.group = group
        self.running = running
    }

    /// Serves until a shutdown signal (when enabled) or ``stop()``; call ``stop()`` afterwards.
    public func wait() async throws {
        try await running.value
    }

    /// Stops serving, then stops the backend (SIGTERM, then SIGKILL after the grace period).
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await server.backend.stop()
    }
}
