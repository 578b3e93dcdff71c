import DeltaSync
import Foundation
import ServiceLifecycle

// cf-fastpush-controller: the app container's start command. It starts the app (the backend), proxies
// every request to it, and serves the sync API under the base path.
let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "--version" {
    print("cf-fastpush-controller \(FastPushVersion.current)")
    exit(0)
}
guard arguments.isEmpty else {
    StandardError.writeLine("usage: cf-fastpush-controller [--version]; settings come from cf-fastpush-controller.yml and the environment")
    exit(2)
}

// A closed stdout or client socket must be an error to handle, not a signal that ends the controller.
signal(SIGPIPE, SIG_IGN)
let environment = ProcessInfo.processInfo.environment
do {
    let config = try ControllerConfig.load(environment: environment)
    for warning in config.warnings { ControllerLog.warning(warning) }
    let server = try ControllerServer(config: config, root: FileManager.default.currentDirectoryPath, environment: environment)
    try await server.backend.start()
    let application = server.makeApplication(environment: environment) { port in
        ControllerLog.info("listening on \(config.bindAddress):\(port); the app gets PORT=\(config.backendPort)")
    }
    let services = ServiceGroup(
        configuration: .init(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: .init(label: "fastpush")))
    try await services.run()
    await server.backend.stop()
    try await server.client.shutdown().get()
} catch {
    StandardError.writeLine("cf-fastpush-controller: \(error)")
    exit(1)
}
