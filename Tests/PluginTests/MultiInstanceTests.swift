import DeltaSync
import Foundation
import Glibc
import TestSupport
import Testing

@testable import Plugin

/// Pushes to every instance of an app: real controllers on loopback behind a small router that behaves as the
/// Cloud Foundry router does with `X-Cf-App-Instance` (including its 400 answers).
@Suite(.serialized) struct MultiInstanceTests {
    static let appGuid = "6b4b3e4c-0d1e-4c43-a5b5-3a5f3b2e9c11"

    /// Routes to backend N for `X-Cf-App-Instance: GUID:N`, round robin without the header.
    static let router = #"""
        import http.client, http.server, itertools, re, sys
        GUID, BACKENDS = sys.argv[1], [int(p) for p in sys.argv[2:]]
        turn = itertools.count()
        class Router(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def refuse(self, error):
                body = b"400 Bad Request: " + error.encode() + b"\n"
                self.send_response(400)
                self.send_header("X-Cf-Routererror", error)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def route(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else None
                instance = self.headers.get("X-Cf-App-Instance")
                if instance is None:
                    port = BACKENDS[next(turn) % len(BACKENDS)]
                else:
                    match = re.fullmatch(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d+)", instance)
                    if not match: return self.refuse("invalid_cf_app_instance_header")
                    if match.group(1) != GUID or int(match.group(2)) >= len(BACKENDS): return self.refuse("unknown_route")
                    port = BACKENDS[int(match.group(2))]
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "x-cf-app-instance")}
                upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"): self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()
            do_GET = do_POST = do_PUT = route
            def log_message(self, *args): pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Router)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    /// A running router in front of `ports`.
    final class Router {
        let process = Process()
        let port: Int
        init(ports: [Int], directory: String) throws {
            try FileTree.write(Array(MultiInstanceTests.router.utf8), to: directory + "/router.py")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", directory + "/router.py", MultiInstanceTests.appGuid] + ports.map(String.init)
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            port = Int(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitForEnd()
        }
        var url: String { "http://127.0.0.1:\(port)" }
    }

    /// Runs `body` with `count` controllers (each its own container of the example app) behind a router.
    static func withInstances(_ count: Int, _ body: ([ControllerHarness], Router) async throws -> Void) async throws {
        var harnesses: [ControllerHarness] = []
        var router: Router?
        // One token for every instance: it is a variable of the app.
        let token = "instances-\(UInt32.random(in: 0...UInt32.max))"
        do {
            for _ in 0..<count { harnesses.append(try await ControllerHarness(token: token)) }
            router = try Router(ports: harnesses.map(\.controller.port), directory: harnesses[0].workspace)
            try await body(harnesses, try #require(router))
        } catch {
            router?.stop()
            for harness in harnesses { await harness.shutDown() }
            throw error
        }
        router?.stop()
        for harness in harnesses { await harness.shutDown() }
    }

    func targets(_ indices: [Int], router: Router, token: String, instance: (Int) -> String = { "\(appGuid):\($0)" }) throws -> [PushTarget] {
        try indices.map { index in
            var endpoint = try ControllerEndpoint(appURL: router.url, token: token)
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

    @Test func cfFastPushAllInstancesThroughTheRealBinary() async throws {
        try await Self.withInstances(2) { instances, router in
            // The cf peer's app has two instances and the app's FASTPUSH_TOKEN.
            let peer = try GoPeer(environment: ["GOPEER_APP_FASTPUSH_TOKEN": instances[0].token])
            defer { peer.stop() }
            try FileTree.write(Array("both\n".utf8), to: instances[0].local + "/static/both.txt")
            let arguments = ["\(peer.port)", "fast-push", "my-app", "--route", router.url, "--path", instances[0].local]
            let environment = ["FASTPUSH_CACHE_DIR": instances[0].workspace + "/cf-cache"]
            let one = try await FastPushBinary.run(arguments + ["--instance", "1"], environment: environment)
            #expect(one.status == 0, "\(one.errors)")
            #expect(access(instances[0].container + "/static/both.txt", F_OK) != 0, "only instance 1 was asked")
            #expect(try FileTree.read(instances[1].container + "/static/both.txt") == Array("both\n".utf8))

            let all = try await FastPushBinary.run(arguments + ["--all-instances"], environment: environment)
            #expect(all.status == 0, "\(all.errors)")
            #expect(all.output.contains("== instance 0 =="))
            #expect(all.output.contains("instance 0: 1 change"))
            #expect(all.output.contains("instance 1: nothing to push"))
            #expect(all.output.contains("All 2 instances have the same files"))
            #expect(try FileTree.read(instances[0].container + "/static/both.txt") == Array("both\n".utf8))

            let missing = try await FastPushBinary.run(arguments + ["--instance", "7"], environment: environment)
            #expect(missing.status == 1)
            #expect(missing.errors.contains("the router knows no instance 7"))
        }
    }
}
