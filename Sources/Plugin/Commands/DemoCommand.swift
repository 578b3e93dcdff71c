import ArgumentParser
import AsyncHTTPClient
import Controller
import DeltaSync
import Foundation

/// `fastpush demo`: a real push on this machine, end to end.
///
/// It builds an example Python app in a temporary directory, deploys a copy as a container would hold it,
/// starts a controller in this process (supervising the app, proxying to it, serving the sync API on a loopback
/// port), edits the app the way a developer does between pushes, pushes over HTTP, and shows the app's answer
/// before and after. A second edit then shows the steady state: one request. Everything is removed at the end.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Push edits of an example app to a local controller and its running app, then clean up.")

    @Flag(help: "Leave the temporary directory in place to look at it.") var keep = false

    func run() async throws {
        let workspace = try FileTree.makeTemporaryDirectory(prefix: "fastpush-demo")
        defer { if !keep { try? FileTree.removeRecursively(workspace) } }
        let app = workspace + "/app"
        let container = workspace + "/container"
        try ExampleApp.create(at: app)
        try ExampleApp.create(at: container)

        var environment = ProcessInfo.processInfo.environment
        let token = FileDigest(of: Array(UUID().uuidString.utf8)).hex
        for (name, value) in [
            "BIND_ADDRESS": "127.0.0.1", "PORT": "0", "BACKEND_PORT": "\(try freeLoopbackPort())",
            "BACKEND_COMMAND": ExampleApp.command, "FASTPUSH_TOKEN": token, "FASTPUSH_GRACE_SECONDS": "2",
        ] {
            environment[name] = value
        }
        let controller = try await EmbeddedController.start(root: container, environment: environment, searchPaths: [])
        do {
            try await show(app: app, container: container, controller: controller, token: token, workspace: workspace)
        } catch {
            await controller.stop()
            throw error
        }
        await controller.stop()
        print(keep ? "\nLeft everything in \(workspace)." : "\nStopped the controller and the app, removed \(workspace).")
    }

    private func show(app: String, container: String, controller: EmbeddedController, token: String, workspace: String) async throws {
        let url = "http://127.0.0.1:\(controller.port)"
        print("FastPush demo: an example Python app, run by a controller, and a push of a few edits.")
        print("  your app directory:           \(app)")
        print("  the container's copy:         \(container)")
        print("  the controller (app's route): \(url)")
        print("The app says: \(try await page(url))\n")

        try ExampleApp.edit(at: app)
        print("Edited the app: a line of app.py, 400 bytes of the 4 MiB data/model.bin, a new static/app.js,")
        print("a deleted template and an exec bit on run.sh (debug.log changed too, but .cfignore leaves it out).\n")
        print("$ fastpush push \(url) app   (no cache yet: manifest, signatures, bundle)")
        let terminal = Terminal(environment: ProcessInfo.processInfo.environment)
        var cacheEnvironment = ProcessInfo.processInfo.environment
        cacheEnvironment["FASTPUSH_CACHE_DIR"] = workspace + "/cache"
        let endpoint = try ControllerEndpoint(appURL: url, token: token)
        try await push(endpoint: endpoint, directory: app, environment: cacheEnvironment, terminal: terminal)
        print("The app now says: \(try await page(url))\n")

        let style = app + "/static/style.css"
        try FileTree.write(Array("body { font-family: sans-serif; color: #333; }\n".utf8), to: style)
        print("Edited static/style.css. The client knows what the app has, so this push is one request:")
        print("$ fastpush push \(url) app")
        try await push(endpoint: endpoint, directory: app, environment: cacheEnvironment, terminal: terminal)

        var local = try TreeScanner(root: app)
        var remote = try TreeScanner(root: container, ignoreRules: IgnoreRules.load(root: app))
        let (mine, theirs) = (try local.scan().manifest, try remote.scan().manifest)
        guard mine.rootDigest == theirs.rootDigest else {
            throw ValidationError("the container's copy does not match the app after the push (root \(theirs.rootDigest.short)… vs \(mine.rootDigest.short)…)")
        }
        print("\nThe container's copy matches the app directory: root digest \(mine.rootDigest.short)…")
    }

    private func push(endpoint: ControllerEndpoint, directory: String, environment: [String: String], terminal: Terminal) async throws {
        let session = PushSession(
            client: ControllerClient(endpoint: endpoint), cache: PushCache(endpoint: endpoint, environment: environment),
            options: PushOptions(directory: directory), terminal: terminal)
        let outcome = try await session.run()
        guard outcome.succeeded else { throw ValidationError("the push did not go as expected; see above") }
    }

    /// The app's home page through the controller's proxy, as a browser would see it.
    private func page(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
