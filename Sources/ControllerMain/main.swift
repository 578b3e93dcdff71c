import Controller
import DeltaSync
import Glibc
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

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
do {
    let controller = try await EmbeddedController.start(
        root: FileManager.default.currentDirectoryPath, environment: ProcessInfo.processInfo.environment,
        shutdownSignals: true)
    try await controller.wait()
    await controller.stop()
} catch {
    StandardError.writeLine("cf-fastpush-controller: \(error)")
    exit(1)
}
