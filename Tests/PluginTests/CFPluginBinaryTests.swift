import Controller
import DeltaSync
import Foundation
import GobRPC
import TestSupport
import Testing

@testable import Plugin

/// The real `fastpush` binary launched the way cf launches a plugin, talking to a Go net/rpc peer that plays
/// cf's side, and pushing to a real controller.
@Suite(.serialized) struct CFPluginBinaryTests {
    @Test func installRegistersTheCommandsAndAliases() async throws {
        let peer = try GoPeer()
        defer { peer.stop() }
        let run = try await FastPushBinary.run(["\(peer.port)", "SendMetadata"])
        #expect(run.status == 0, "\(run.errors)")
        let cf = try CFPluginConnection(port: peer.port)
        defer { cf.close() }
        let metadata: PluginMetadata = try cf.call("LastPluginMetadata")
        #expect(metadata == PluginMetadata.fastPush)
        #expect(metadata.commands.map(\.name) == ["fast-push", "fast-push-status"])
        #expect(metadata.commands.map(\.alias) == ["fp", "fps"])
        #expect(metadata.libraryVersion.major == 1)
        #expect(metadata.commands[0].usageDetails.options["dry-run"] != nil)
    }

    @Test func fastPushFindsTheAppThroughCFAndPushesWithItsToken() async throws {
        try await ControllerHarness.with { harness in
            let peer = try GoPeer(environment: ["GOPEER_APP_FASTPUSH_TOKEN": harness.token])
            defer { peer.stop() }
            try ExampleApp.edit(at: harness.local)
            let cache = harness.workspace + "/cf-cache"
            let run = try await FastPushBinary.run(
                ["\(peer.port)", "fast-push", "my-app", "--route", harness.url, "--path", harness.local],
                environment: ["FASTPUSH_CACHE_DIR": cache, "CF_TRACE": "true"])
            #expect(run.status == 0, "\(run.output)\n\(run.errors)")
            #expect(run.output.contains("[MOD]  app.py (3.9 KiB, sent "))
            #expect(run.output.contains("[DEL]  templates/old.html"))
            #expect(run.output.contains("The app is back after"))
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
            // CF_TRACE shows the RPC calls and HTTP exchanges, and never a credential.
            #expect(run.output.contains("RPC CliRpcCmd.GetCurrentSpace"))
            #expect(run.output.contains("RPC CliRpcCmd.IsSSLDisabled"))
            #expect(run.output.contains("RPC CliRpcCmd.AccessToken"))
            #expect(run.output.contains("REQUEST: ["))
            #expect(run.output.contains("x-auth-token: [PRIVATE DATA HIDDEN]"))
            #expect(!run.output.contains(harness.token))
            #expect(!run.output.contains("peer-token"))

            let status = try await FastPushBinary.run(
                ["\(peer.port)", "fast-push-status", "my-app", "--route", harness.url, "--path", harness.local],
                environment: ["FASTPUSH_CACHE_DIR": cache])
            #expect(status.status == 0, "\(status.errors)")
            #expect(status.output.contains("backend: running"))
            #expect(status.output.contains("local changes not pushed: none"))

            #expect(FileManager.default.fileExists(atPath: cache))
            let uninstall = try await FastPushBinary.run(["\(peer.port)", "CLI-MESSAGE-UNINSTALL"], environment: ["FASTPUSH_CACHE_DIR": cache])
            #expect(uninstall.status == 0)
            #expect(!FileManager.default.fileExists(atPath: cache))
        }
    }

    @Test func withoutCredentialsTheControllerAcceptsThePluginFailsClearly() async throws {
        try await ControllerHarness.with { harness in
            let peer = try GoPeer()
            defer { peer.stop() }
            let before = try harness.containerManifest()
            try ExampleApp.edit(at: harness.local)
            let run = try await FastPushBinary.run(
                ["\(peer.port)", "fast-push", "my-app", "--route", harness.url, "--path", harness.local],
                environment: ["FASTPUSH_CACHE_DIR": harness.workspace + "/cf-cache"])
            #expect(run.status == 1)
            #expect(run.errors.contains("FAILED"))
            #expect(run.errors.contains("refused the credentials"))
            #expect(run.errors.contains("cf set-env my-app FASTPUSH_TOKEN"), "the advice fits cf, not the standalone CLI")
            #expect(try harness.containerManifest() == before)
        }
    }

    @Test func anUnknownAppOrBadFlagsAreClearErrors() async throws {
        let peer = try GoPeer()
        defer { peer.stop() }
        let unknown = try await FastPushBinary.run(["\(peer.port)", "fast-push", "no-such-app"])
        #expect(unknown.status == 1)
        #expect(unknown.errors == "FAILED\napp no-such-app was not found in space dev, whose apps are: my-app; check the name, or `cf target`\n")
        let contradictory = try await FastPushBinary.run(["\(peer.port)", "fast-push", "my-app", "--restart", "--no-restart"])
        #expect(contradictory.status == 1)
        #expect(contradictory.errors.contains("--restart and --no-restart contradict each other"))
    }

    @Test func theStandaloneCommandsTakeTheTokenFromTheEnvironment() async throws {
        try await ControllerHarness.with { harness in
            try FileTree.write(Array("standalone\n".utf8), to: harness.local + "/static/note.txt")
            let environment = ["FASTPUSH_TOKEN": harness.token, "FASTPUSH_CACHE_DIR": harness.workspace + "/cli-cache"]
            let push = try await FastPushBinary.run(["push", harness.url, harness.local], environment: environment)
            #expect(push.status == 0, "\(push.errors)")
            #expect(push.output.contains("[NEW]  static/note.txt"))
            #expect(try FileTree.read(harness.container + "/static/note.txt") == Array("standalone\n".utf8))
            let status = try await FastPushBinary.run(["status", harness.url, harness.local], environment: environment)
            #expect(status.status == 0)
            #expect(status.output.contains("local changes not pushed: none"))
            let refused = try await FastPushBinary.run(["push", harness.url, harness.local, "--token", "wrong"])
            #expect(refused.status == 1)
            #expect(refused.errors.contains("refused the credentials"))
            let notADirectory = try await FastPushBinary.run(["push", harness.url, harness.workspace + "/missing"], environment: environment)
            #expect(notADirectory.status != 0)
            #expect(notADirectory.errors.contains("is not a directory"))
        }
    }

    @Test func theStandaloneCommandSaysPlainlyWhyAControllerCannotBeReached() async throws {
        let empty = try FileTree.makeTemporaryDirectory(prefix: "fastpush-unreachable")
        defer { try? FileTree.removeRecursively(empty) }
        let port = Int(try freeLoopbackPort())
        let refused = try await FastPushBinary.run(["push", "http://127.0.0.1:\(port)", "."], in: empty)
        #expect(refused.status == 1)
        #expect(
            refused.errors
                == "fastpush: cannot reach the app's controller at http://127.0.0.1:\(port)/_fastpush: the connection was refused (nothing listens there); check the URL, and that the app runs with cf-fastpush-controller as its start command\n")
        let unknown = try await FastPushBinary.run(["push", "https://my-app.no-such-host.invalid", "."], in: empty)
        #expect(unknown.errors.contains("the host name my-app.no-such-host.invalid was not found"))

        // The Go peer's router has a self-signed certificate, and no app.
        var foundation = FoundationDouble(apps: [])
        foundation.tls = true
        let peer = try GoPeer(foundation: foundation)
        defer { peer.stop() }
        let checked = try await FastPushBinary.run(["push", peer.routerURL, "."], in: empty)
        #expect(checked.errors.hasPrefix("fastpush: cannot reach the app's controller at \(peer.routerURL)/_fastpush: the TLS connection failed"))
        #expect(checked.errors.contains("if the app's certificate is self-signed, pass --skip-ssl-validation"))
        let skipped = try await FastPushBinary.run(["push", peer.routerURL, ".", "--skip-ssl-validation"], in: empty)
        #expect(skipped.status == 1)
        #expect(skipped.errors == "fastpush: the router has no app at \(peer.routerURL)/_fastpush (X-Cf-Routererror: unknown_route): check the URL (`cf app` lists the app's routes)\n")
    }
}
