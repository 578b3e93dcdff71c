import Controller
import DeltaSync
import Foundation
import GobRPC
import TestSupport
import Testing

@testable import Plugin

/// How `cf fast-push` finds the app on a foundation with the v2 API switched off: the real binary, the Go peer as
/// the cf CLI, and the peer's Cloud Controller double answering as the v3 API documents it. Each failure the
/// user can meet says what is wrong and what to do, after cf's `FAILED` line.
@Suite(.serialized) struct CloudControllerLookupTests {
    static let guid = "0c7e4a1b-2f3d-4e5a-9b8c-7d6e5f4a3b2c"

    static func foundation(_ change: (inout FoundationDouble.App) -> Void = { _ in }) -> FoundationDouble {
        var app = FoundationDouble.App(guid: guid, name: "my-app")
        app.routes = [.init(url: "my-app.example.test")]
        change(&app)
        var others = [FoundationDouble.App(guid: "11111111-2f3d-4e5a-9b8c-7d6e5f4a3b2c", name: "worker")]
        others.append(FoundationDouble.App(guid: "22222222-2f3d-4e5a-9b8c-7d6e5f4a3b2c", name: "My-Api"))
        return FoundationDouble(apps: [app] + others)
    }

    /// Runs `cf fast-push APP` (or another command) against a peer for `foundation`; returns the run and the Cloud
    /// Controller's requests.
    func run(
        _ foundation: FoundationDouble, _ arguments: [String] = ["fast-push", "my-app"], directory: String? = nil
    ) async throws -> (run: FastPushBinary.Run, requests: [String]) {
        let peer = try GoPeer(foundation: foundation)
        defer { peer.stop() }
        let workspace = try FileTree.makeTemporaryDirectory(prefix: "fastpush-cc-test")
        defer { try? FileTree.removeRecursively(workspace) }
        let run = try await FastPushBinary.run(
            ["\(peer.port)"] + arguments + ["--path", directory ?? workspace],
            environment: ["FASTPUSH_CACHE_DIR": workspace + "/cache"])
        let cf = try CFPluginConnection(port: peer.port)
        defer { cf.close() }
        let requests: [String] = try cf.call("CloudControllerRequests")
        #expect(!requests.contains { $0.contains("/v2/") }, "no v2 request")
        return (run, requests)
    }

    func expectFailure(_ run: FastPushBinary.Run, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == 1, sourceLocation: sourceLocation)
        #expect(run.errors.hasPrefix("FAILED\n"), "\(run.errors)", sourceLocation: sourceLocation)
        #expect(run.errors.contains(message), "\(run.errors)", sourceLocation: sourceLocation)
        #expect(run.errors.hasSuffix("\n"), sourceLocation: sourceLocation)
    }

    @Test func anAppNotInTheSpaceIsNamedWithTheSpacesApps() async throws {
        let missing = try await run(Self.foundation(), ["fast-push", "no-such-app"])
        expectFailure(missing.run, "app no-such-app was not found in space dev, whose apps are: My-Api, my-app, worker")
        #expect(missing.requests.contains("GET /v3/apps?names=no-such-app&space_guids=space-guid"))
        let wrongCase = try await run(Self.foundation(), ["fast-push", "my-api"])
        expectFailure(wrongCase.run, "app names are case-sensitive: did you mean My-Api?")
    }

    @Test func anAppWithoutAnHTTPRouteSaysHowToMapOne() async throws {
        let none = try await run(Self.foundation { $0.routes = [] })
        expectFailure(none.run, "app my-app has no HTTP route, so its controller cannot be reached: map one with `cf map-route my-app")
        let tcp = try await run(Self.foundation { $0.routes = [.init(url: "tcp.example.test:1024", protocol: "tcp")] })
        expectFailure(tcp.run, "has no HTTP route (only tcp.example.test:1024)")
    }

    @Test func aUserWhoMayNotReadTheEnvironmentIsToldWhichRoleIsNeeded() async throws {
        let result = try await run(Self.foundation { $0.envStatus = 403 })
        expectFailure(result.run, "that takes the Space Developer role in its space")
        expectFailure(result.run, "CF-NotAuthorized")
    }

    @Test func anExpiredSessionAsksForALogin() async throws {
        var foundation = Self.foundation()
        foundation.acceptedToken = "bearer a-newer-token"
        let result = try await run(foundation)
        expectFailure(result.run, "the Cloud Controller did not accept your login")
        expectFailure(result.run, "run `cf login` again")
        #expect(!result.run.errors.contains("peer-token"))
    }

    @Test func anUnreachableCloudControllerIsSaidPlainly() async throws {
        var foundation = Self.foundation()
        foundation.apiEndpoint = "http://127.0.0.1:\(try closedLoopbackPort())"
        let refused = try await run(foundation)
        expectFailure(refused.run, "cannot reach the Cloud Controller at \(foundation.apiEndpoint): the connection was refused")
        expectFailure(refused.run, "`cf api` shows the endpoint cf targets")
        foundation.apiEndpoint = "https://api.no-such-host.invalid"
        let unknown = try await run(foundation)
        expectFailure(unknown.run, "the host name api.no-such-host.invalid was not found")
    }

    @Test func aSelfSignedCertificateNeedsSkipSSLValidation() async throws {
        var foundation = Self.foundation()
        foundation.tls = true
        let checked = try await run(foundation)
        expectFailure(checked.run, "the TLS connection failed")
        expectFailure(checked.run, "--skip-ssl-validation")
        // With `cf api --skip-ssl-validation` the app is found; its route (a name that does not resolve) is next.
        foundation.sslDisabled = true
        let skipped = try await run(foundation)
        #expect(skipped.requests.contains { $0.hasPrefix("GET /v3/apps/\(Self.guid)/environment_variables") })
        expectFailure(skipped.run, "cannot reach the app's controller at https://my-app.example.test/_fastpush")
    }

    @Test func aStoppedAppOrOneWithNoRunningInstanceSaysHowToStartIt() async throws {
        let stopped = try await run(Self.foundation { $0.state = "STOPPED" })
        expectFailure(stopped.run, "app my-app is stopped, so its controller cannot answer: run `cf start my-app`")
        let crashed = try await run(Self.foundation { $0.instances = ["CRASHED"] })
        expectFailure(crashed.run, "no instance of my-app is running (instance 0: CRASHED)")
    }

    @Test func theHelpOfBothCommandsListsTheInstanceOptions() {
        for command in PluginMetadata.fastPush.commands {
            #expect(command.usageDetails.options["instance"] != nil, "\(command.name)")
            #expect(command.usageDetails.options["all-instances"] != nil, "\(command.name)")
            #expect(command.usageDetails.usage.contains("[--instance N | --all-instances]"), "\(command.name)")
        }
    }

    /// A loopback port nothing listens on.
    private func closedLoopbackPort() throws -> Int { Int(try freeLoopbackPort()) }
}
