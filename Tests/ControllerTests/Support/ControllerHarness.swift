import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

@testable import Controller
@testable import DeltaSync

/// A running controller with a real Python backend on real sockets, and what tests need to talk to it.
final class ControllerHarness: @unchecked Sendable {
    /// A small Python app: echoes what it receives (also chunked), says who it is, counts the SIGHUPs it
    /// received (its "reloads", which keep its pid), takes a second to answer on request, and misbehaves on
    /// request: an answer with no length, or none at all.
    static let backendScript = """
        import base64, hashlib, http.server, json, os, signal, sys, time
        reloads = 0
        def reload(number, frame):
            global reloads
            reloads += 1
        signal.signal(signal.SIGHUP, reload)
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def reply(self, body, kind="application/json", status=200):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                if self.headers.get("Upgrade", "").lower() == "websocket":
                    self.echo_websocket()
                elif self.path == "/whoami":
                    self.reply(json.dumps({"pid": os.getpid(), "reloads": reloads, "headers": dict(self.headers)}).encode())
                elif self.path == "/close-without-answer":
                    self.close_connection = True
                elif self.path == "/slow":
                    time.sleep(1)
                    self.reply(b"slow but sure\\n", "text/plain")
                elif self.path == "/unframed":
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(b"no length: the body ends with the connection\\n")
                    self.close_connection = True
                else:
                    with open(os.path.join("static", "page.css"), "rb") as f: self.reply(f.read(), "text/css")
            def do_HEAD(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.send_header("Content-Length", str(os.path.getsize(os.path.join("static", "page.css"))))
                self.end_headers()
            def do_POST(self):
                if self.path == "/close-without-answer":
                    self.close_connection = True
                    return
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0: break
                        body += self.rfile.read(size)
                        self.rfile.readline()
                    while self.rfile.readline() not in (b"\\r\\n", b""): pass
                    return self.reply(body, "application/octet-stream")
                length = int(self.headers.get("Content-Length", "0"))
                self.reply(self.rfile.read(length), "application/octet-stream")
            def echo_websocket(self):
                if self.path.split("?")[0] != "/live":
                    return self.reply(b"no websocket here", "text/plain", 404)
                key = self.headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", base64.b64encode(hashlib.sha1(key.encode()).digest()).decode())
                self.send_header("X-Seen-Forwarded-For", self.headers.get("X-Forwarded-For", ""))
                self.end_headers()
                self.wfile.flush()
                self.close_connection = True
                while True:
                    head = self.rfile.read(2)
                    if len(head) < 2: return
                    opcode, length = head[0] & 15, head[1] & 127
                    if length >= 126: length = int.from_bytes(self.rfile.read(2 if length == 126 else 8), "big")
                    mask = self.rfile.read(4)
                    data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
                    if opcode == 8:
                        self.wfile.write(bytes([0x88, 0]))
                        return
                    size = bytes([len(data)]) if len(data) < 126 else bytes([126]) + len(data).to_bytes(2, "big") if len(data) < 65536 else bytes([127]) + len(data).to_bytes(8, "big")
                    self.wfile.write(bytes([0x80 | opcode]) + size + data)
                    self.wfile.flush()
            def log_message(self, *args): pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
        """

    /// How a test wants its app and controller.
    struct Options {
        /// Files added to the app (or replacing its own), by path relative to the app root.
        var files: [String: String] = [:]
        /// Whether server.py and app.py are in the app; without them (the server then lives beside the app) the
        /// app is static files, or whatever `files` make it.
        var pythonFilesInApp = true
        /// The environment the backend (and the rules' commands) get.
        var environment = ProcessInfo.processInfo.environment
        /// What Cloud Foundry tells the controller about the app: `VCAP_APPLICATION` (the legacy token, the
        /// container's identity) and `CF_INSTANCE_INDEX`. By default an app GUID and no instance index, so the
        /// controller has no instance identity.
        var platformEnvironment = ["VCAP_APPLICATION": #"{"application_id":"6d1a-guid","application_version":"v1"}"#]
        /// Changes to the test's configuration.
        var configure: @Sendable (inout ControllerConfig) throws -> Void = { _ in }
    }

    let app: String
    let port: Int
    let token: String?
    let server: ControllerServer
    let group: ServiceGroup
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let running: Task<Void, any Error>

    init(
        token: String? = "test-token-\(UInt32.random(in: 0...UInt32.max))", cloudController: Int? = nil,
        options: Options = Options()
    ) async throws {
        self.token = token
        app = try FileTree.makeTemporaryDirectory(prefix: "fastpush-controller-test")
        try FileTree.makeDirectories(app + "/static")
        let script = options.pythonFilesInApp ? app + "/server.py" : app + ".server.py"
        try FileTree.write(Array(Self.backendScript.utf8), to: script)
        try FileTree.write(Array("body { color: red }\n".utf8), to: app + "/static/page.css")
        if options.pythonFilesInApp { try FileTree.write(Array("print('v1')\n".utf8), to: app + "/app.py") }
        for (path, text) in options.files {
            try FileTree.makeDirectories(app + "/" + RelativePath.parent(of: path))
            try FileTree.write(Array(text.utf8), to: app + "/" + path, mode: path.hasSuffix(".sh") ? 0o755 : 0o644)
        }
        var config = ControllerConfig()
        config.bindAddress = "127.0.0.1"
        config.port = 0
        config.backendPort = Int(try freeLoopbackPort())
        // After the first start, the app takes a second before it listens: restarts have a visible gap.
        // (The marker lives beside the app, not in it, so it is not part of what is pushed.)
        config.backendCommand =
            "if [ -f '\(app).started' ]; then sleep 1; fi; touch '\(app).started'; exec python3 '\(script)'"
        config.token = token
        config.cfAPI = cloudController.map { "http://127.0.0.1:\($0)/" }
        config.requestWait = .seconds(20)
        config.gracePeriod = .seconds(2)
        try options.configure(&config)
        self.server = try ControllerServer(config: config, root: app, environment: options.environment)
        try await self.server.backend.start()
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = self.server.makeApplication(environment: options.platformEnvironment) { port in
            continuation.yield(port)
        }
        group = ServiceGroup(configuration: .init(services: [application], logger: .init(label: "test")))
        let group = self.group
        running = Task { try await group.run() }
        var iterator = stream.makeAsyncIterator()
        port = await iterator.next() ?? 0
        #expect(await self.server.backend.waitUntilReady(timeout: .seconds(20)))
    }

    func shutDown() async throws {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await server.backend.stop()
        try await client.shutdown()
        try FileTree.removeRecursively(app)
        try FileTree.removeRecursively(app + ".started")
        try? FileTree.removeRecursively(app + ".server.py")
    }

    func request(
        _ path: String, method: HTTPMethod = .GET, body: [UInt8]? = nil, token: String?? = .none,
        headers: [(String, String)] = []
    ) async throws -> (status: Int, body: [UInt8], headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token = token ?? self.token { request.headers.add(name: "x-auth-token", value: token) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Array(buffer: bytes), response.headers)
    }

    /// Runs `body` against a fresh controller and always shuts it down, also when an expectation throws.
    static func with(
        token: String? = "test-token-\(UInt32.random(in: 0...UInt32.max))", cloudController: Int? = nil,
        options: Options = Options(), _ body: (ControllerHarness) async throws -> Void
    ) async throws {
        let harness = try await ControllerHarness(token: token, cloudController: cloudController, options: options)
        do {
            try await body(harness)
        } catch {
            try await harness.shutDown()
            throw error
        }
        try await harness.shutDown()
    }

    /// Restarts the app through the original API and returns once the old one is on its way out.
    func beginRestart() async throws {
        #expect(try await request("/_fastpush/restart", method: .POST).status == 200)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let status = try json(try await request("/_fastpush/v2/status").body)
            if (status["backend"] as? [String: Any])?["state"] as? String != "running" { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Starts the controller's graceful shutdown, as SIGTERM does, and returns without waiting for it.
    func beginShutdown() async {
        await group.triggerGracefulShutdown()
    }

    func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    func backendPid() async throws -> Int {
        try #require(try json(try await request("/whoami").body)["pid"] as? Int)
    }

    /// How many SIGHUPs the backend has handled.
    func backendReloads() async throws -> Int {
        try #require(try json(try await request("/whoami").body)["reloads"] as? Int)
    }

    /// Plans a push from `local` to what the controller has, using its manifest and signatures.
    func push(from local: String, dryRun: Bool = false) async throws -> (status: Int, answer: [UInt8]) {
        let remote = try Manifest(decoding: try await request("/_fastpush/v2/manifest").body)
        var scanner = try TreeScanner(root: local, ignoreRules: IgnoreRules(includeDefaults: false))
        let localManifest = try scanner.scan().manifest
        let wanted = localManifest.diff(from: remote).modified.map(\.path)
        var reader = ByteReader(
            MemorySource(
                try await request("/_fastpush/v2/signatures", method: .POST, body: PathList.encoded(wanted)).body),
            what: "signatures")
        var signatures: [PathKey: Signature] = [:]
        while try !reader.atEnd() {
            let path = String(decoding: try reader.lengthPrefixed("path", limit: 4096), as: UTF8.self)
            signatures[PathKey(path)] = try Signature(decoding: try reader.lengthPrefixed("signature", limit: 1 << 30))
        }
        let plan = try PushPlanner(localRoot: local).plan(
            local: localManifest, remote: remote, signatures: signatures)
        let response = try await request(
            "/_fastpush/v2/push" + (dryRun ? "?dry_run=true" : ""), method: .POST, body: plan.bundle.encoded())
        return (response.status, response.body)
    }

    /// A copy of the app as the developer has it: every file, with its permissions.
    func localCopy() throws -> String {
        let local = try FileTree.makeTemporaryDirectory(prefix: "fastpush-local")
        for path in try FileManager.default.subpathsOfDirectory(atPath: app) {
            let status = try SystemCall.lstat(app + "/" + path)
            if status.st_mode & S_IFMT == S_IFDIR {
                try FileTree.makeDirectories(local + "/" + path)
            } else {
                try FileTree.write(
                    try FileTree.read(app + "/" + path), to: local + "/" + path, mode: UInt32(status.st_mode & 0o777))
            }
        }
        return local
    }
}
