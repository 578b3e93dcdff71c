import DeltaSync
import Foundation
import Glibc
import GobRPC
import TestSupport
import Testing

@testable import Plugin

/// Pushes to every instance of an app: real controllers on loopback behind the Go peer's router, which behaves as
/// the Cloud Foundry router does with `X-Cf-App-Instance` (including its 400 answers), with the peer's Cloud
/// Controller (v3 only) describing the app.
@Suite(.serialized) struct MultiInstanceTests {
    static let appGuid = "6b4b3e4c-0d1e-4c43-a5b5-3a5f3b2e9c11"

    /// The app with one instance per controller, its route on the router, and the controllers' token.
    static func foundation(_ harnesses: [ControllerHarness], states: [String]? = nil) -> FoundationDouble {
        var app = FoundationDouble.App(guid: appGuid, name: "my-app")
        app.env = ["FASTPUSH_TOKEN": harnesses[0].token]
        app.routes = [.init(url: "ROUTER")]
        app.instances = states ?? harnesses.map { _ in "RUNNING" }
        app.backends = harnesses.map(\.controller.port)
        var foundation = FoundationDouble(apps: [app])
        foundation.tls = true
        foundation.sslDisabled = true
        return foundation
    }

    /// Runs `body` with `count` controllers (each its own container of the example app, knowing its instance index
    /// as Cloud Foundry tells it) behind the Go peer's router.
    static func withInstances(
        _ count: Int, states: [String]? = nil, misroute: String = "",
        _ body: ([ControllerHarness], GoPeer) async throws -> Void
    ) async throws {
        var harnesses: [ControllerHarness] = []
        var peer: GoPeer?
        // One token for every instance: it is a variable of the app.
        let token = "instances-\(UInt32.random(in: 0...UInt32.max))"
        do {
            for index in 0..<count {
                harnesses.append(
                    try await ControllerHarness(
                        token: token,
                        extraEnvironment: [
                            "CF_INSTANCE_INDEX": "\(index)",
                            "VCAP_APPLICATION": #"{"application_id":"\#(appGuid)","instance_index":\#(index)}"#,
                        ]))
            }
            var foundation = Self.foundation(harnesses, states: states)
            foundation.misroute = misroute
            peer = try GoPeer(foundation: foundation)
            try await body(harnesses, try #require(peer))
        } catch {
            peer?.stop()
            for harness in harnesses { await harness.shutDown() }
            throw error
        }
        peer?.stop()
        for harness in harnesses { await harness.shutDown() }
    }

    func targets(_ indices: [Int], router: GoPeer, token: String, instance: (Int) -> String = { "\(appGuid):\($0)" }) throws -> [PushTarget] {
        try indices.map { index in
            var endpoint = try ControllerEndpoint(appURL: router.routerURL, token: token)
            endpoint.skipsCertificateValidation = true
            endpoint.instance = instance(index)
            return PushTarget(label: "instance \(index)", endpoint: endpoint)
        }
    }

    @Test func aLaggingInstanceCatchesUpAndTheReportSaysWhenAllMatch() async throws {
        try await Self.withInstances(3) { instances, router in
            let local = instances[0].local
            let environment = instances[0].cacheEnvironment
            try ExampleApp.edit(at: local)
            func push(_ indices: [Int]) async throws -> (lines: [String], failed: Bool) {
                let terminal = Terminal(capturing: ())
                let all = try targets(indices, router: router, token: instances[0].token)
                do {
                    try await PushRunner.push(targets: all, options: PushOptions(directory: local), environment: environment, terminal: terminal)
                    return (terminal.captured, false)
                } catch {
                    return (terminal.captured, true)
                }
            }
            let first = try await push([0, 1])
            #expect(!first.failed)
            #expect(first.lines.contains { $0.hasPrefix("All 2 instances have the same files") })
            var scanner = try TreeScanner(root: local)
            let wanted = try scanner.scan().manifest.rootDigest
            #expect(try instances[0].containerManifest(ignoringLocalRules: true).rootDigest == wanted)
            #expect(try instances[2].containerManifest(ignoringLocalRules: true).rootDigest != wanted, "instance 2 lags")

            let second = try await push([0, 1, 2])
            #expect(!second.failed)
            #expect(second.lines.contains { $0.hasPrefix("instance 0: nothing to push") })
            #expect(second.lines.contains { $0.hasPrefix("instance 2: 5 changes, restart") })
            #expect(second.lines.contains { $0.hasPrefix("All 3 instances have the same files") })
            for instance in instances {
                #expect(try instance.containerManifest(ignoringLocalRules: true).rootDigest == wanted)
            }
        }
    }

    @Test func theRoutersRefusalsAreExplainedPerInstance() async throws {
        try await Self.withInstances(2) { instances, router in
            let terminal = Terminal(capturing: ())
            var all = try targets([0], router: router, token: instances[0].token)
            all += try targets([5], router: router, token: instances[0].token)
            all += try targets([1], router: router, token: instances[0].token) { _ in "NOT-A-GUID:1" }
            try FileTree.write(Array("x\n".utf8), to: instances[0].local + "/static/x.txt")
            await #expect(throws: (any Error).self) {
                try await PushRunner.push(
                    targets: all, options: PushOptions(directory: instances[0].local),
                    environment: instances[0].cacheEnvironment, terminal: terminal)
            }
            let lines = terminal.captured
            #expect(lines.contains { $0.hasPrefix("instance 0: 1 change") })
            #expect(lines.contains { $0.hasPrefix("instance 5: failed: the router knows no instance 5 (X-Cf-Routererror: unknown_route)") })
            #expect(lines.contains { $0.contains("invalid_cf_app_instance_header") })
            #expect(lines.contains("The instances do not all have the same files:"))
            #expect(try FileTree.read(instances[0].container + "/static/x.txt") == Array("x\n".utf8))
        }
    }

    /// `cf fast-push my-app` with the Go peer as the cf CLI, a v3-only Cloud Controller with a self-signed certificate
    /// (targeted with --skip-ssl-validation), and two instances behind the router.
    @Test func cfFastPushUpdatesEveryRunningInstanceAndSaysSo() async throws {
        try await Self.withInstances(2) { instances, peer in
            try FileTree.write(Array("both\n".utf8), to: instances[0].local + "/static/both.txt")
            let arguments = ["\(peer.port)", "fast-push", "my-app", "--path", instances[0].local]
            let environment = ["FASTPUSH_CACHE_DIR": instances[0].workspace + "/cf-cache", "CF_TRACE": "true"]
            let all = try await FastPushBinary.run(arguments, environment: environment)
            #expect(all.status == 0, "\(all.output)\n\(all.errors)")
            #expect(all.output.contains("Fast-pushing local to app my-app at https://127.0.0.1:"))
            #expect(all.output.components(separatedBy: "Not checking TLS certificates").count == 2, "said once")
            #expect(all.output.contains("Pushing to the 2 running instances, 2 at a time"))
            #expect(all.output.contains("== instance 0 =="))
            #expect(all.output.contains("== instance 1 =="))
            #expect(all.output.contains("instance 0: 1 change"))
            #expect(all.output.contains("instance 1: 1 change"))
            #expect(all.output.contains("All 2 instances have the same files"))
            for instance in instances {
                #expect(try FileTree.read(instance.container + "/static/both.txt") == Array("both\n".utf8))
            }
            // The app was found through v3 alone, and the trace shows it without the token.
            let cf = try CFPluginConnection(port: peer.port)
            defer { cf.close() }
            let requests: [String] = try cf.call("CloudControllerRequests")
            #expect(requests.contains("GET /v3/apps?names=my-app&space_guids=space-guid"))
            #expect(requests.contains("GET /v3/apps/\(Self.appGuid)/processes/web/stats"))
            #expect(!requests.contains { $0.contains("/v2/") })
            #expect(all.output.contains("GET \(peer.cloudControllerURL)/v3/apps/\(Self.appGuid)/environment_variables HTTP/1.1"))
            #expect(all.output.contains("Authorization: [PRIVATE DATA HIDDEN]"))
            #expect(!all.output.contains("peer-token"))

            // The next plain push starts from each instance's own cache entry: one request each, no false alarm.
            try FileTree.write(Array("again\n".utf8), to: instances[0].local + "/static/both.txt")
            let again = try await FastPushBinary.run(arguments, environment: environment.filter { $0.key != "CF_TRACE" })
            #expect(again.status == 0, "\(again.errors)")
            #expect(again.output.components(separatedBy: ", 1 request, ").count == 3, "\(again.output)")
            #expect(!again.output.contains("changed on the server"))

            let one = try await FastPushBinary.run(arguments + ["--instance", "1", "--dry-run"], environment: environment)
            #expect(one.status == 0, "\(one.errors)")
            #expect(!one.output.contains("== instance 0 =="))

            let missing = try await FastPushBinary.run(arguments + ["--instance", "7"], environment: environment)
            #expect(missing.status == 1)
            #expect(missing.errors.hasPrefix("FAILED\napp my-app has no instance 7: it has 2 (instance 0: RUNNING, instance 1: RUNNING)"))
            #expect(missing.errors.hasSuffix("\n"))

            let status = try await FastPushBinary.run(
                ["\(peer.port)", "fast-push-status", "my-app", "--path", instances[0].local], environment: environment)
            #expect(status.status == 0, "\(status.errors)")
            #expect(status.output.contains("== instance 0 =="))
            #expect(status.output.contains("== instance 1 =="))
        }
    }

    @Test func instancesThatAreNotRunningAreSkippedWithTheirState() async throws {
        try await Self.withInstances(3, states: ["RUNNING", "CRASHED", "RUNNING"]) { instances, peer in
            try FileTree.write(Array("two\n".utf8), to: instances[0].local + "/static/two.txt")
            let run = try await FastPushBinary.run(
                ["\(peer.port)", "fast-push", "my-app", "--path", instances[0].local],
                environment: ["FASTPUSH_CACHE_DIR": instances[0].workspace + "/cf-cache"])
            #expect(run.status == 0, "\(run.errors)")
            #expect(run.output.contains("Pushing to the 2 running instances, 2 at a time; skipping those not running (instance 1: CRASHED)"))
            #expect(run.output.contains("instance 1: skipped, CRASHED"))
            #expect(run.output.contains("All 2 running instances have the same files"))
            #expect(access(instances[1].container + "/static/two.txt", F_OK) != 0)
            #expect(try FileTree.read(instances[2].container + "/static/two.txt") == Array("two\n".utf8))

            let crashed = try await FastPushBinary.run(
                ["\(peer.port)", "fast-push", "my-app", "--instance", "1", "--path", instances[0].local],
                environment: ["FASTPUSH_CACHE_DIR": instances[0].workspace + "/cf-cache"])
            #expect(crashed.status == 1)
            #expect(crashed.errors.contains("instance 1 of my-app is CRASHED, not running"))
        }
    }

    /// Something between the router and the app that ignores `X-Cf-App-Instance` (as a route service does) must never
    /// make one instance's answer count as another's: the controller refuses a request addressed to another instance
    /// (421), and names itself in every answer, which the client checks when the header did not reach it.
    @Test(arguments: ["ignore-header", "strip-header"])
    func anInstanceIsNeverReportedUpdatedWhenAnotherAnswered(misroute: String) async throws {
        try await Self.withInstances(2, misroute: misroute) { instances, peer in
            let before = try instances.map { try $0.containerManifest(ignoringLocalRules: true) }
            try FileTree.write(Array("misrouted\n".utf8), to: instances[0].local + "/static/misrouted.txt")
            let run = try await FastPushBinary.run(
                ["\(peer.port)", "fast-push", "my-app", "--path", instances[0].local],
                environment: ["FASTPUSH_CACHE_DIR": instances[0].workspace + "/cf-cache"])
            #expect(run.status == 1, "\(run.output)")
            #expect(run.errors == "FAILED\n")
            #expect(run.output.contains("instance 0: failed: instance 1 answered a request addressed to instance 0"), "\(run.output)")
            #expect(run.output.contains("instance 1: failed: instance 0 answered a request addressed to instance 1"), "\(run.output)")
            #expect(!run.output.contains("All 2 instances have the same files"))
            // Every request reached the other instance; with the header forwarded, neither acted on it.
            for (instance, manifest) in zip(instances, before) where misroute == "ignore-header" {
                #expect(try instance.containerManifest(ignoringLocalRules: true) == manifest)
            }
        }
    }
}
