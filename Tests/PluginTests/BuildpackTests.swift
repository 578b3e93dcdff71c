import AsyncHTTPClient
import Controller
import DeltaSync
import Foundation
import Glibc
import TestSupport
import Testing

@testable import Plugin

/// `buildpack/` run exactly as each platform runs it: Cloud Foundry's supply contract (`bin/supply BUILD_DIR
/// CACHE_DIR DEPS_DIR INDEX`, the controller then found on the PATH as the start command) and Heroku's
/// (`bin/detect`, `bin/compile BUILD_DIR CACHE_DIR ENV_DIR`, `bin/release`, the slug's `.profile.d` sourced before
/// the Procfile's command), each with the environment those platforms give, then the installed controller started
/// from where the buildpack put it and pushed to with the real `fastpush` binary.
@Suite(.serialized) struct BuildpackTests {
    static let buildpack = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("buildpack").path

    /// The controller this build made, beside the `fastpush` binary.
    static var controller: String {
        URL(fileURLWithPath: FastPushBinary.path).deletingLastPathComponent().appendingPathComponent("cf-fastpush-controller").path
    }

    static var arch: String { BuildProducts.architecture }

    /// A copy of the buildpack as `scripts/release` packages it: the pin for `sha256` (default: the controller's own),
    /// with the controller inside when `carrying`, and a download URL when `url` is given.
    func buildpack(in workspace: String, carrying: Bool = true, url: String? = nil, sha256: String? = nil) throws -> String {
        let copy = workspace + "/buildpack"
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        try run("/bin/cp", ["-R", Self.buildpack, copy])
        let name = "cf-fastpush-controller-linux-\(Self.arch)"
        if carrying {
            try FileManager.default.createDirectory(atPath: copy + "/controller", withIntermediateDirectories: true)
            try run("/bin/cp", [Self.controller, copy + "/controller/" + name])
        }
        let digest = try sha256 ?? run("/usr/bin/sha256sum", [Self.controller]).output.split(separator: " ")[0].description
        var pin = "version=0.0.0-test\n\(Self.arch)_sha256=\(digest)\n"
        if let url { pin += "\(Self.arch)_url=\(url)\n" }
        try FileTree.write(Array(pin.utf8), to: copy + "/controller.pin")
        return copy
    }

    /// Runs a program with exactly `environment` (as a platform's stager does: nothing of this process leaks in).
    @discardableResult
    func run(_ program: String, _ arguments: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin"])
        throws -> (status: Int32, output: String)
    {
        try Process.runCollectingOutput(program, arguments, environment: environment)
    }

    /// Starts `command` in `app` as the platform starts the app's web process, waits for the controller and its app,
    /// pushes an edit of the example app with `fastpush push`, and checks that it arrived.
    func startAndPush(
        _ command: String, app: String, environment: [String: String], workspace: String,
        backendCommand: String? = ExampleApp.command
    ) async throws {
        let port = Int(try freeLoopbackPort())
        let token = "buildpack-\(UInt32.random(in: 0...UInt32.max))"
        var variables = environment
        variables["PORT"] = "\(port)"
        variables["BIND_ADDRESS"] = "127.0.0.1"
        variables["BACKEND_PORT"] = "\(try freeLoopbackPort())"
        if let backendCommand { variables["BACKEND_COMMAND"] = backendCommand }
        variables["FASTPUSH_TOKEN"] = token
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " >>'\(workspace)/controller.log' 2>&1"]
        process.environment = variables
        process.currentDirectoryURL = URL(fileURLWithPath: app)
        try process.run()
        defer {
            kill(-process.processIdentifier, SIGTERM)
            process.waitForEnd()
        }
        let endpoint = try ControllerEndpoint(appURL: "http://127.0.0.1:\(port)", token: token)
        var state = ""
        for _ in 0..<300 where state != "running" {
            state = (try? await ControllerClient(endpoint: endpoint).status().backend.state) ?? ""
            if state != "running" { try await Task.sleep(for: .milliseconds(100)) }
        }
        let log = (try? String(contentsOfFile: workspace + "/controller.log", encoding: .utf8)) ?? ""
        #expect(state == "running", "the installed controller did not run the app: \(log)")

        let local = workspace + "/local"
        try ExampleApp.create(at: local)
        try ExampleApp.edit(at: local)
        let push = try await FastPushBinary.run(
            ["push", "http://127.0.0.1:\(port)", local],
            environment: ["FASTPUSH_TOKEN": token, "FASTPUSH_CACHE_DIR": workspace + "/cache-client"])
        #expect(push.status == 0, "\(push.output)\n\(push.errors)")
        #expect(try FileTree.read(app + "/app.py") == FileTree.read(local + "/app.py"))
    }

    @Test func cloudFoundrySupplyPutsTheControllerOnThePathOfTheStartCommand() async throws {
        let workspace = try FileTree.makeTemporaryDirectory(prefix: "fastpush-buildpack-cf")
        defer { try? FileTree.removeRecursively(workspace) }
        let buildpack = try buildpack(in: workspace)
        let build = workspace + "/app", deps = workspace + "/deps"
        try ExampleApp.create(at: build)
        try FileManager.default.createDirectory(atPath: deps + "/0", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: workspace + "/cache", withIntermediateDirectories: true)
        let staging = ["PATH": "/usr/bin:/bin", "CF_STACK": "cflinuxfs4", "HOME": workspace]
        #expect(try run(buildpack + "/bin/detect", [build], environment: staging).status == 0)
        let supply = try run(buildpack + "/bin/supply", [build, workspace + "/cache", deps, "0"], environment: staging)
        #expect(supply.status == 0, "\(supply.output)")
        #expect(supply.output.contains("-----> FastPush: installed cf-fastpush-controller 0.0.0-test"))
        #expect(FileManager.default.isExecutableFile(atPath: deps + "/0/bin/cf-fastpush-controller"))

        // `command: cf-fastpush-controller`, found through the profile script as the app's PATH.
        try await startAndPush(
            ". \(deps)/0/profile.d/fastpush.sh && exec cf-fastpush-controller", app: build,
            environment: ["PATH": "/usr/bin:/bin", "DEPS_DIR": deps, "HOME": build], workspace: workspace)
    }

    @Test func herokuCompileInstallsIntoTheSlugWithAProfileScript() async throws {
        let workspace = try FileTree.makeTemporaryDirectory(prefix: "fastpush-buildpack-heroku")
        defer { try? FileTree.removeRecursively(workspace) }
        let buildpack = try buildpack(in: workspace)
        let build = workspace + "/app"
        try ExampleApp.create(at: build)
        for directory in ["cache", "env"] {
            try FileManager.default.createDirectory(atPath: workspace + "/" + directory, withIntermediateDirectories: true)
        }
        let staging = ["PATH": "/usr/bin:/bin", "STACK": "heroku-24", "HOME": workspace]
        let detect = try run(buildpack + "/bin/detect", [build], environment: staging)
        #expect(detect.status == 0 && detect.output == "FastPush\n")
        let compile = try run(buildpack + "/bin/compile", [build, workspace + "/cache", workspace + "/env"], environment: staging)
        #expect(compile.status == 0, "\(compile.output)")
        let release = try run(buildpack + "/bin/release", [build], environment: staging)
        #expect(release.status == 0 && release.output == "--- {}\n")
        #expect(FileManager.default.isExecutableFile(atPath: build + "/.fastpush/bin/cf-fastpush-controller"))

        // A dyno sources the slug's .profile.d, then runs the Procfile's `web: cf-fastpush-controller`.
        try await startAndPush(
            "for f in .profile.d/*.sh; do . \"$f\"; done; exec cf-fastpush-controller", app: build,
            environment: ["PATH": "/usr/bin:/bin", "HOME": build], workspace: workspace)
    }

    @Test func withoutAPackagedBinaryThePinnedDownloadIsCheckedAndCached() async throws {
        let workspace = try FileTree.makeTemporaryDirectory(prefix: "fastpush-buildpack-download")
        defer { try? FileTree.removeRecursively(workspace) }
        let served = workspace + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try run("/bin/cp", [Self.controller, served + "/cf-fastpush-controller"])
        let port = Int(try freeLoopbackPort())
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", served]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        var serverStopped = false
        func stopServer() {
            guard !serverStopped else { return }
            serverStopped = true
            kill(server.processIdentifier, SIGTERM)
            server.waitForEnd()
        }
        defer { stopServer() }
        let url = "http://127.0.0.1:\(port)/cf-fastpush-controller"
        for _ in 0..<100 where try run("/usr/bin/env", ["python3", "-c", "import urllib.request; urllib.request.urlopen('\(url)')"]).status != 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        let cache = workspace + "/cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)

        let good = try buildpack(in: workspace + "/good", carrying: false, url: url)
        let first = try run(good + "/bin/supply", [workspace + "/app", cache, workspace + "/deps1", "0"])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("from \(url)"))
        #expect(FileManager.default.isExecutableFile(atPath: workspace + "/deps1/0/bin/cf-fastpush-controller"))

        // The next staging finds it in the cache, with no network.
        stopServer()
        let second = try run(good + "/bin/supply", [workspace + "/app", cache, workspace + "/deps2", "0"])
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("from the cache"))

        // A binary that is not the pinned one stops staging and installs nothing.
        let wrong = try buildpack(in: workspace + "/wrong", carrying: true, sha256: String(repeating: "0", count: 64))
        let refused = try run(wrong + "/bin/compile", [workspace + "/slug", workspace + "/cache-other", workspace + "/env"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("but this buildpack pins 0000000000000000"))
        #expect(refused.output.contains("nothing was installed"))
        #expect(!FileManager.default.fileExists(atPath: workspace + "/slug/.fastpush/bin/cf-fastpush-controller"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace + "/slug/.fastpush/bin").isEmpty)
    }

    /// `fastpush init --write` on the example app, then the buildpack, then the start command its manifest names:
    /// the app starts from what init wrote (no BACKEND_COMMAND), and takes a push.
    @Test func anAppPreparedByInitRunsThroughTheBuildpack() async throws {
        let workspace = try FileTree.makeTemporaryDirectory(prefix: "fastpush-buildpack-init")
        defer { try? FileTree.removeRecursively(workspace) }
        let build = workspace + "/app", deps = workspace + "/deps"
        try ExampleApp.create(at: build)
        let initRun = try await FastPushBinary.run(["init", build, "--write"])
        #expect(initRun.status == 0, "\(initRun.errors)")
        let manifest = ManifestFile(text: String(decoding: try FileTree.read(build + "/manifest.yml"), as: UTF8.self))
        #expect(manifest.buildpacks == ["fastpush_buildpack", "python_buildpack"])
        let command = try #require(manifest.command)

        let buildpack = try buildpack(in: workspace)
        try FileManager.default.createDirectory(atPath: deps + "/0", withIntermediateDirectories: true)
        let supply = try run(buildpack + "/bin/supply", [build, workspace + "/cache", deps, "0"])
        #expect(supply.status == 0, "\(supply.output)")
        // The Python buildpack's runtime provides `python`.
        let runtime = workspace + "/python-runtime"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: runtime + "/python", withDestinationPath: "/usr/bin/python3")
        try await startAndPush(
            "exec \(command)", app: build,
            environment: ["PATH": "\(deps)/0/bin:\(runtime):/usr/bin:/bin", "HOME": build], workspace: workspace, backendCommand: nil)
    }
}
