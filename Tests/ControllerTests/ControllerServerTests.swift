import AsyncHTTPClient
@testable import DeltaSync
import Foundation
import Glibc
import Hummingbird
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

@testable import Controller

/// The whole controller on a real socket with a real backend process: proxying, authentication, the v2
/// push protocol, the original API, and hostile pushes.
@Suite(.serialized) struct ControllerServerTests {
    /// The controller with a real backend on real sockets (Support/ControllerHarness.swift).
    typealias Harness = ControllerHarness

    @Test func proxiesRequestsWithForwardingHeadersAndLargeBodies() async throws {
        try await Harness.with { harness in
            let page = try await harness.request("/anything", token: .some(nil))
            #expect(page.status == 200)
            #expect(String(decoding: page.body, as: UTF8.self) == "body { color: red }\n")
            let whoami = try harness.json(try await harness.request("/whoami", token: .some(nil)).body)
            let headers = try #require(whoami["headers"] as? [String: String])
            #expect(headers["X-Forwarded-For"] == "127.0.0.1")
            #expect(headers["X-Forwarded-Proto"] == "http")
            #expect(headers["X-Forwarded-Host"] != nil)
            // Many requests without a body over kept-alive connections, some concurrently.
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<200 { group.addTask { try await harness.request("/page", token: .some(nil)).status } }
                for try await status in group { #expect(status == 200) }
            }
            var random = SystemRandomNumberGenerator()
            let large = (0..<(8 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let echoed = try await harness.request("/echo", method: .POST, body: large, token: .some(nil))
            #expect(echoed.status == 200)
            #expect(echoed.body == large)
        }
    }

    @Test func requestsDuringARestartWaitForTheApp() async throws {
        try await Harness.with { harness in
            let before = try await harness.backendPid()
            // Once the old app is going away, ask: with nothing listening, the proxy must wait.
            try await harness.beginRestart()
            let page = try await harness.request("/page", token: .some(nil))
            #expect(page.status == 200)
            #expect(String(decoding: page.body, as: UTF8.self) == "body { color: red }\n")
            #expect(try await harness.backendPid() != before)
        }
    }

    /// Found by Benchmarks/load-restart.sh: during restarts, requests on a pooled connection the app had closed
    /// failed with a 502 instead of waiting for the app.
    @Test func aPooledConnectionTheAppClosedCountsAsUnreachable() {
        #expect(ReverseProxy.isUnreachable(ChannelError.ioOnClosedChannel))
        #expect(ReverseProxy.isUnreachable(IOError(errnoCode: ECONNREFUSED, reason: "connect")))
        #expect(!ReverseProxy.isUnreachable(ChannelError.inputClosed))
    }

    @Test func webSocketsPassThroughToTheApp() async throws {
        try await Harness.with { harness in
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.sendWebSocketHandshake(path: "/live?room=1")
                let head = try await connection.readHead()
                #expect(head.hasPrefix("HTTP/1.1 101 "))
                #expect(head.contains("Sec-WebSocket-Accept: \(RawConnection.sampleAccept)\r\n"))
                #expect(head.contains("X-Seen-Forwarded-For: 127.0.0.1\r\n"))
                try await connection.sendFrame(opcode: 1, Array("hello".utf8))
                let text = try await connection.readFrame()
                #expect(text.opcode == 1)
                #expect(text.payload == Array("hello".utf8))
                // A message larger than any socket buffer crosses both halves of the tunnel intact.
                let large = (0..<(300 << 10)).map { _ in UInt8.random(in: 0...255) }
                try await connection.sendFrame(opcode: 2, large)
                let binary = try await connection.readFrame()
                #expect(binary.opcode == 2)
                #expect(binary.payload == large)
                try await connection.sendFrame(opcode: 8, [])
                #expect(try await connection.readFrame().opcode == 8)
                #expect(try await connection.atEnd())
            }
            // The app's refusal reaches the client as the app sent it.
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.sendWebSocketHandshake(path: "/elsewhere")
                #expect(try await connection.readHead().hasPrefix("HTTP/1.1 404 "))
                #expect(try await connection.read(17) == Array("no websocket here".utf8))
            }
            // An upgrade under the base path is the controller's: it needs the token like any control request.
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.sendWebSocketHandshake(path: "/_fastpush/v2/status")
                #expect(try await connection.readHead().hasPrefix("HTTP/1.1 401 "))
            }
            // Plain requests after the first still work on a connection that was not upgraded.
            try await RawConnection.with(port: harness.port) { connection in
                for _ in 0..<2 {
                    try await connection.write(Array("GET /page HTTP/1.1\r\nHost: app.example\r\n\r\n".utf8))
                    let head = try await connection.readHead()
                    #expect(head.hasPrefix("HTTP/1.1 200 "))
                    #expect(try await connection.read(20) == Array("body { color: red }\n".utf8))
                }
            }
        }
    }

    @Test func aWebSocketOpenedDuringARestartWaitsForTheApp() async throws {
        try await Harness.with { harness in
            try await harness.beginRestart()
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.sendWebSocketHandshake(path: "/live")
                #expect(try await connection.readHead().hasPrefix("HTTP/1.1 101 "))
                try await connection.sendFrame(opcode: 1, Array("back".utf8))
                #expect(try await connection.readFrame().payload == Array("back".utf8))
            }
        }
    }

    @Test func controlRoutesRequireTheToken() async throws {
        try await Harness.with { harness in
            for (path, method) in [
                ("/_fastpush/v2/manifest", HTTPMethod.GET), ("/_fastpush/v2/status", .GET),
                ("/_fastpush/v2/push", .POST),
                ("/_fastpush/v2/signatures", .POST), ("/_fastpush/files", .GET), ("/_fastpush/files", .PUT),
                ("/_fastpush/restart", .POST), ("/_fastpush/status", .GET),
            ] {
                let missing = try await harness.request(path, method: method, token: .some(nil)).status
                #expect(missing == 401, "\(path) without a token")
                let wrong = try await harness.request(path, method: method, token: "wrong").status
                #expect(wrong == 401, "\(path) with a wrong token")
            }
            let authorized = try await harness.request("/_fastpush/v2/status").status
            #expect(authorized == 200)
        }
    }

    @Test func v2PushesRestartOnPythonChangesOnly() async throws {
        try await Harness.with { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let firstPid = try await harness.backendPid()

            // A stylesheet change: applied, no restart.
            try FileTree.write(Array("body { color: blue }\n".utf8), to: local + "/static/page.css")
            let css = try await harness.push(from: local)
            #expect(css.status == 200)
            let cssAnswer = try harness.json(css.answer)
            #expect(cssAnswer["restart"] as? Bool == false)
            #expect(
                String(decoding: try await harness.request("/page").body, as: UTF8.self) == "body { color: blue }\n")
            #expect(try await harness.backendPid() == firstPid)

            // A dry run of a Python change says it would restart, and changes nothing.
            try FileTree.write(Array("print('v2')\n".utf8), to: local + "/app.py")
            try FileTree.write(Array("new".utf8), to: local + "/static/new.txt")
            let dry = try harness.json(try await harness.push(from: local, dryRun: true).answer)
            #expect(dry["dryRun"] as? Bool == true)
            #expect(dry["restart"] as? Bool == true)
            #expect(try FileTree.read(harness.app + "/app.py") == Array("print('v1')\n".utf8))

            // The real push restarts the backend, which comes back with a new pid.
            let python = try await harness.push(from: local)
            #expect(python.status == 200)
            let answer = try harness.json(python.answer)
            #expect(answer["restart"] as? Bool == true)
            #expect((answer["reasons"] as? [String])?.first?.contains("app.py") == true)
            #expect(answer["backendReady"] as? Bool == true)
            #expect(try FileTree.read(harness.app + "/app.py") == Array("print('v2')\n".utf8))
            #expect(try await harness.backendPid() != firstPid)

            // Manifest and root digest agree with the local tree; an unchanged manifest is a 304.
            var scanner = try TreeScanner(root: local, ignoreRules: IgnoreRules(includeDefaults: false))
            let root = try scanner.scan().manifest.rootDigest.hex
            #expect(answer["rootDigest"] as? String == root)
            let unchanged = try await harness.request(
                "/_fastpush/v2/manifest", headers: [("If-None-Match", "\"\(root)\"")])
            #expect(unchanged.status == 304)
            let status = try harness.json(try await harness.request("/_fastpush/v2/status").body)
            #expect((status["backend"] as? [String: Any])?["restarts"] as? Int == 1)
            #expect((status["lastPush"] as? [String: Any])?["restarted"] as? Bool == true)
        }
    }

    /// A bundle with one new file at `path`, written byte by byte so that any path can be sent.
    static func bundleCreating(_ path: [UInt8], content: [UInt8] = Array("owned".utf8)) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes(PushBundle.magic); writer.byte(PushBundle.version); writer.varint(0)
        writer.byte(1); writer.lengthPrefixed(path); writer.byte(0); writer.varint(0o644)  // expected: absent
        writer.lengthPrefixed(Delta.make(signature: Signature(bytes: []), bytes: content).delta)
        writer.byte(0); writer.varint(1)
        return writer.bytes
    }

    /// Every entry under `root`, with its content digest, so a test can tell that nothing changed at all.
    static func snapshot(_ root: String) throws -> [String: String] {
        var entries: [String: String] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: root) {
            let full = root + "/" + path
            let link = try? FileManager.default.destinationOfSymbolicLink(atPath: full)
            entries[path] = link.map { "-> \($0)" } ?? (try? FileDigest(of: FileTree.read(full)).hex) ?? "directory"
        }
        return entries
    }

    @Test func everyHostilePushGetsAClearErrorAndChangesNothing() async throws {
        try await Harness.with { harness in
            let outside = try FileTree.makeTemporaryDirectory(prefix: "fastpush-outside-")
            defer { try? FileTree.removeRecursively(outside) }
            #expect(symlink(outside, harness.app + "/escape") == 0)
            let before = try Self.snapshot(harness.app)
            var invalidUTF8 = Self.bundleCreating(Array("ab".utf8))
            invalidUTF8[8] = 0xFF
            let zeros = [UInt8](repeating: 0, count: 200_000)
            let bomb = try #require(
                zeros.withUnsafeBytes {
                    LiteralCompressor().compress($0, dictionary: UnsafeRawBufferPointer(start: nil, count: 0))
                })
            var inflating = ByteWriter()
            inflating.bytes(DeltaFormat.magic); inflating.byte(DeltaFormat.version); inflating.varint(256)
            inflating.varint(0); inflating.bytes(FileDigest(of: []).bytes)
            inflating.byte(DeltaFormat.deflatedLiteral); inflating.varint(1000); inflating.varint(bomb.count)
            inflating.bytes(bomb)
            inflating.byte(DeltaFormat.end); inflating.varint(1000); inflating.bytes(FileDigest(of: Array(zeros[..<1000])).bytes)
            let fromNothing = Delta.make(signature: Signature(bytes: []), bytes: Array("x".utf8)).delta
            let cases: [(name: String, bundle: [UInt8], status: Int, says: String)] = [
                ("../x", Self.bundleCreating(Array("../escape.txt".utf8)), 400, "unsafe path"),
                ("/etc/passwd", Self.bundleCreating(Array("/etc/passwd".utf8)), 400, "unsafe path"),
                ("a/../../x", Self.bundleCreating(Array("a/../../x".utf8)), 400, "unsafe path"),
                ("NUL in a name", Self.bundleCreating(Array("a\u{0}b.py".utf8)), 400, "unsafe path"),
                ("a very long name", Self.bundleCreating(Array(String(repeating: "n", count: 300).utf8)), 400, "unsafe path"),
                ("invalid UTF-8", invalidUTF8, 400, "UTF-8"),
                ("a write through a symlink", Self.bundleCreating(Array("escape/owned.txt".utf8)), 400, "symlink"),
                (
                    "a link out of the app",
                    PushBundle(operations: [.symlink(path: "static/l", expected: .absent, target: "/etc")]).encoded(),
                    400, "must point inside the app"
                ),
                (
                    "duplicate paths",
                    PushBundle(operations: [
                        .file(path: "n.txt", expected: .absent, mode: 0o644, delta: fromNothing),
                        .file(path: "n.txt", expected: .absent, mode: 0o644, delta: fromNothing),
                    ]).encoded(), 400, "n.txt"
                ),
                (
                    "a literal that inflates beyond its size",
                    PushBundle(operations: [.file(path: "bomb.bin", expected: .absent, mode: 0o644, delta: inflating.bytes)])
                        .encoded(), 400, "bomb.bin"
                ),
                ("a truncated bundle", Array(Self.bundleCreating(Array("t.txt".utf8)).dropLast(3)), 400, "truncated"),
                ("not a bundle", Array("GET / HTTP/1.1".utf8), 400, "push bundle"),
            ]
            for hostile in cases {
                let response = try await harness.request("/_fastpush/v2/push", method: .POST, body: hostile.bundle)
                let message = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == hostile.status, "\(hostile.name): \(message)")
                #expect(message.contains(hostile.says), "\(hostile.name): \(message)")
            }
            #expect(try Self.snapshot(harness.app) == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
            // The controller still serves, and a good push after all that works.
            let good = PushBundle(operations: [.file(path: "static/ok.txt", expected: .absent, mode: 0o644, delta: fromNothing)])
            #expect(try await harness.request("/_fastpush/v2/push", method: .POST, body: good.encoded()).status == 200)
            #expect(try FileTree.read(harness.app + "/static/ok.txt") == Array("x".utf8))
        }
    }

    @Test func stalePushesChangeNothing() async throws {
        try await Harness.with { harness in
            let before = try FileTree.read(harness.app + "/app.py")
            let fromNothing = Delta.make(signature: Signature(bytes: []), bytes: Array("owned".utf8)).delta
            // A push that expects a different app.py than the server has is refused whole.
            let stale = PushBundle(operations: [
                .file(path: "static/new.txt", expected: .absent, mode: 0o644, delta: fromNothing),
                .file(
                    path: "app.py", expected: .file(FileDigest(of: Array("something else".utf8))), mode: 0o644,
                    delta: fromNothing),
            ])
            let conflict = try await harness.request("/_fastpush/v2/push", method: .POST, body: stale.encoded())
            #expect(conflict.status == 409)
            #expect(try FileTree.read(harness.app + "/app.py") == before)
            #expect(throws: (any Error).self) { try FileTree.read(harness.app + "/static/new.txt") }
            // Truncated bundles.
            let truncated = try await harness.request(
                "/_fastpush/v2/push", method: .POST, body: Array(stale.encoded().dropLast(3)))
            #expect(truncated.status == 400)
        }
    }

    /// A real HTTP server on loopback answering as the Cloud Controller's permissions endpoint does.
    actor CloudController {
        private(set) var questions = 0
        func asked() { questions += 1 }

        func start() async throws -> (port: Int, stop: @Sendable () async -> Void) {
            let router = Router()
            router.get("/v3/apps/:guid/permissions") { request, context -> Response in
                await self.asked()
                let guid = context.parameters.get("guid") ?? ""
                let sensitive: Bool
                switch request.headers[.authorization] {
                case "bearer developer-token": sensitive = true
                case "bearer auditor-token": sensitive = false
                default: return Response(status: .unauthorized)
                }
                guard guid == "6d1a-guid" else { return Response(status: .notFound) }
                let body = #"{"read_basic_data":true,"read_sensitive_data":\#(sensitive)}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
            let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
            let group = ServiceGroup(configuration: .init(services: [app], logger: .init(label: "cloud-controller")))
            let running = Task { try await group.run() }
            var iterator = stream.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            return (port, { await group.triggerGracefulShutdown(); _ = try? await running.value })
        }
    }

    @Test func usersOwnCloudFoundryTokensAreCheckedWithTheCloudController() async throws {
        let cloudController = CloudController()
        let (port, stop) = try await cloudController.start()
        try await Harness.with(token: nil, cloudController: port) { harness in
            func status(_ bearer: String?) async throws -> Int {
                try await harness.request(
                    "/_fastpush/v2/status", token: .some(nil), headers: bearer.map { [("Authorization", "Bearer \($0)")] } ?? []
                ).status
            }
            #expect(try await status("developer-token") == 200)
            #expect(try await status("developer-token") == 200)
            #expect(await cloudController.questions == 1, "the answer is cached")
            #expect(try await status("auditor-token") == 403)
            #expect(try await status("stolen-token") == 403)
            #expect(try await status(nil) == 401)
            // The app GUID, the legacy token, still works for the original plugin.
            let legacy = try await harness.request("/_fastpush/status", token: "6d1a-guid")
            #expect(legacy.status == 200)
        }
        await stop()
    }

    @Test func theOriginalPluginsRequestsWork() async throws {
        try await Harness.with { harness in
            let listing = try harness.json(try await harness.request("/_fastpush/files").body)
            let entry = try #require(listing["app.py"] as? [String: Any])
            // sha256("print('v1')\n")
            #expect(entry["Checksum"] as? String == "14f95ddd9b99cb81615382a0f25f9baf3e69eba017dcac92a30281f16b42d572")
            #expect(entry["Modification"] is Int)
            // Exactly what the Go plugin sent: the map with base64 content.
            let upload =
                #"{"static/page.css":{"Checksum":"","Modification":0,"Content":"Ym9keSB7IGNvbG9yOiBncmVlbiB9Cg=="}}"#
            let answer = try harness.json(
                try await harness.request("/_fastpush/files", method: .PUT, body: Array(upload.utf8)).body)
            #expect(answer["Health"] as? String == "Updated 1 files without restart")
            #expect(try FileTree.read(harness.app + "/static/page.css") == Array("body { color: green }\n".utf8))
            let python = #"{"app.py":{"Content":"cHJpbnQoJ3YzJykK"}}"#
            let restarted = try harness.json(
                try await harness.request("/_fastpush/files", method: .PUT, body: Array(python.utf8)).body)
            #expect(restarted["Health"] as? String == "Restarting after updating 1 files")
            let status = try harness.json(try await harness.request("/_fastpush/status").body)
            #expect(status["Health"] as? String == "Running")
        }
    }
}
