import AsyncHTTPClient
import Controller
import DeltaSync
import Foundation
import Testing

@testable import Plugin

/// A real controller in this process, serving a container directory that holds the example app, with the app
/// running as its backend on a loopback port; and a developer's copy of the app to push from.
final class ControllerHarness: @unchecked Sendable {
    let workspace: String
    let container: String
    let local: String
    let token: String
    private(set) var controller: EmbeddedController
    private let environment: [String: String]
    var cacheEnvironment: [String: String]

    /// `token` is the controller's; instances of one app share theirs.
    init(token: String = "plugin-test-\(UInt32.random(in: 0...UInt32.max))", extraEnvironment: [String: String] = [:]) async throws {
        self.token = token
        workspace = try FileTree.makeTemporaryDirectory(prefix: "fastpush-plugin-test")
        container = workspace + "/container"
        local = workspace + "/local"
        try ExampleApp.create(at: container)
        try ExampleApp.create(at: local)
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in [
            "BIND_ADDRESS": "127.0.0.1", "PORT": "\(try freeLoopbackPort())", "BACKEND_PORT": "\(try freeLoopbackPort())",
            "BACKEND_COMMAND": ExampleApp.command, "FASTPUSH_TOKEN": token, "FASTPUSH_GRACE_SECONDS": "2",
        ] {
            environment[name] = value
        }
        environment.merge(extraEnvironment) { $1 }
        self.environment = environment
        controller = try await EmbeddedController.start(root: container, environment: environment, searchPaths: [])
        cacheEnvironment = ["FASTPUSH_CACHE_DIR": workspace + "/cache"]
        try await waitUntilRunning()
    }

    /// Stops the controller and starts a new one on the same port, as a container restart does; with
    /// `resetContainer`, the app directory first goes back to the example app as `cf push` staged it.
    func restartController(resetContainer: Bool) async throws {
        await controller.stop()
        if resetContainer {
            try FileTree.removeRecursively(container)
            try ExampleApp.create(at: container)
        }
        // The port was just released; give the system a moment if it is not free again yet.
        var attempt = 0
        while true {
            do {
                controller = try await EmbeddedController.start(root: container, environment: environment, searchPaths: [])
                break
            } catch where attempt < 50 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        try await waitUntilRunning()
    }

    private func waitUntilRunning() async throws {
        // The proxy holds this request until the app listens, so the tests start with a running app.
        #expect(try await page().hasPrefix("<h1>Hello"))
        // The supervisor's own readiness probe may notice a moment later than the proxy did.
        var state = ""
        for _ in 0..<200 {
            state = try await status().backend.state
            if state == "running" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(state == "running")
    }

    /// The app's home page through the controller's proxy.
    func page() async throws -> String {
        // Not kept alive: after a restart of the controller on the same port, a pooled connection to the stopped
        // one would be closed under the next request.
        var request = HTTPClientRequest(url: url + "/")
        request.headers.add(name: "Connection", value: "close")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return String(buffer: try await response.body.collect(upTo: 1 << 20)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var url: String { "http://127.0.0.1:\(controller.port)" }

    func endpoint(token: String? = nil) throws -> ControllerEndpoint {
        try ControllerEndpoint(appURL: url, token: token ?? self.token)
    }

    /// Pushes `local` as `fastpush push` would; returns the outcome and the lines printed.
    /// `scanners` keeps the scanner from one push to the next, as `--watch` does.
    func push(
        _ change: (inout PushOptions) -> Void = { _ in }, token: String? = nil, scanners: ScannerKeeper? = nil
    ) async throws -> (outcome: PushSession.Outcome, lines: [String]) {
        var options = PushOptions(directory: local)
        change(&options)
        let endpoint = try endpoint(token: token)
        let terminal = Terminal(capturing: ())
        let session = PushSession(
            client: ControllerClient(endpoint: endpoint), cache: PushCache(endpoint: endpoint, environment: cacheEnvironment),
            options: options, terminal: terminal, scanners: scanners)
        let outcome = try await session.run()
        return (outcome, terminal.captured)
    }

    func status() async throws -> StatusAnswer {
        try await ControllerClient(endpoint: try endpoint()).status()
    }

    /// The container's tree as a manifest, ignoring what the developer's `.cfignore` leaves out.
    func containerManifest(ignoringLocalRules: Bool = true) throws -> Manifest {
        var scanner = try TreeScanner(
            root: container, ignoreRules: ignoringLocalRules ? try IgnoreRules.load(root: local) : IgnoreRules(includeDefaults: false))
        return try scanner.scan().manifest
    }

    func localManifest() throws -> Manifest {
        var scanner = try TreeScanner(root: local)
        return try scanner.scan().manifest
    }

    func shutDown() async {
        await controller.stop()
        try? FileTree.removeRecursively(workspace)
    }

    /// Runs `body` against a fresh harness and always shuts it down.
    static func with(extraEnvironment: [String: String] = [:], _ body: (ControllerHarness) async throws -> Void) async throws {
        let harness = try await ControllerHarness(extraEnvironment: extraEnvironment)
        do {
            try await body(harness)
        } catch {
            await harness.shutDown()
            throw error
        }
        await harness.shutDown()
    }
}
