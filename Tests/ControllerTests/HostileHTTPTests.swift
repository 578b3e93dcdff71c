import AsyncHTTPClient
import Foundation
import Glibc
import NIOHTTP1
import Testing

@testable import Controller
@testable import DeltaSync

/// Hostile requests across the controller's HTTP surface, on a real socket with a real backend: tokens, paths,
/// sizes, encodings, malformed HTTP, slow clients and concurrent conflicting pushes. (The hostile bundles of
/// ControllerServerTests and the hostile uploads of LegacyFileAPITests are not repeated here.)
///
/// Every case must get a clear error or a bounded wait, write nothing where it should not, and leave the
/// controller serving: each test ends by checking that normal requests still work.
@Suite(.serialized) struct HostileHTTPTests {
    typealias Harness = ControllerHarness

    /// The limit the tests configure, small so that crossing it is cheap; files may then be 8 times larger.
    static let maxPushBytes = 256 << 10

    static var options: Harness.Options {
        var options = Harness.Options()
        options.configure = { $0.maxPushBytes = HostileHTTPTests.maxPushBytes }
        return options
    }

    static let page = "body { color: red }\n"

    /// A proxied request and a control request both work, and the app is as `before` (when given).
    static func expectStillServing(
        _ harness: Harness, unchanged before: [String: String]? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let page = try await harness.request("/page", token: .some(nil))
        #expect(page.status == 200, sourceLocation: sourceLocation)
        #expect(String(decoding: page.body, as: UTF8.self) == Self.page, sourceLocation: sourceLocation)
        #expect(try await harness.request("/_fastpush/v2/status").status == 200, sourceLocation: sourceLocation)
        if let before {
            #expect(try ControllerServerTests.snapshot(harness.app) == before, "the app changed", sourceLocation: sourceLocation)
        }
    }

    /// A one-file push that rebuilds `path` from nothing, expecting `expected` there.
    static func push(_ path: String, _ text: String, expected: EntryState = .absent) -> [UInt8] {
        let delta = Delta.make(signature: Signature(bytes: []), bytes: Array(text.utf8)).delta
        return PushBundle(operations: [.file(path: path, expected: expected, mode: 0o644, delta: delta)]).encoded()
    }

    // MARK: Raw connections

    /// What a raw exchange got: a status code, the connection closed without an answer, or nothing at all in
    /// the time limit (a hang, which is always a failure).
    enum Outcome: Equatable {
        case status(Int)
        case closed
        case noAnswer

        /// A refusal: a 4xx answer, or the connection closed (what the HTTP parser does with what it cannot read).
        var isRefusal: Bool {
            switch self {
            case .status(let code): (400..<500).contains(code)
            case .closed: true
            case .noAnswer: false
            }
        }
    }

    /// Sends `bytes` on a fresh connection and reads the answer's status line.
    static func raw(_ bytes: [UInt8], port: Int) async throws -> Outcome {
        let started = ContinuousClock.now
        return try await RawConnection.with(port: port) { connection in
            do {
                try await connection.write(bytes)
                let head = try await connection.readHead()
                let fields = head.split(separator: " ")
                return fields.count > 1 ? Int(fields[1]).map(Outcome.status) ?? .closed : .closed
            } catch {
                // RawConnection closes the connection itself after 30 s: then the controller never answered.
                return ContinuousClock.now - started > .seconds(25) ? .noAnswer : .closed
            }
        }
    }

    /// A plain blocking socket to the controller, for clients that open a connection and then stall.
    static func connect(port: Int) throws -> Int32 {
        // Close-on-exec, so that backends other tests start meanwhile do not inherit (and hold open) it.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard descriptor >= 0, connected == 0 else {
            if descriptor >= 0 { close(descriptor) }
            throw RawConnection.Failure(description: "cannot connect to \(port)")
        }
        return descriptor
    }

    static func send(_ descriptor: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    // MARK: Tokens

    @Test func anythingButTheTokenIsRefused() async throws {
        try await Harness.with(options: Self.options) { harness in
            let token = try #require(harness.token)
            let cases: [(name: String, path: String, headers: [(String, String)])] = [
                ("an empty x-auth-token", "/_fastpush/v2/status", [("x-auth-token", "")]),
                ("a 16 KiB token", "/_fastpush/v2/status", [("x-auth-token", String(repeating: "t", count: 16 << 10))]),
                ("the token in upper case", "/_fastpush/v2/status", [("x-auth-token", token.uppercased())]),
                ("the token without its last character", "/_fastpush/v2/status", [("x-auth-token", String(token.dropLast()))]),
                ("the token and one more character", "/_fastpush/v2/status", [("x-auth-token", token + "x")]),
                ("the token in the query string", "/_fastpush/v2/status?token=\(token)", []),
                ("the token as a query parameter named like the header", "/_fastpush/v2/status?x-auth-token=\(token)", []),
                ("the token as Basic credentials", "/_fastpush/v2/status", [("Authorization", "Basic \(Data(":\(token)".utf8).base64EncodedString())")]),
                ("an empty Bearer", "/_fastpush/v2/status", [("Authorization", "Bearer ")]),
                ("the legacy GUID when a token is configured", "/_fastpush/status", [("x-auth-token", "6d1a-guid")]),
            ]
            for hostile in cases {
                let response = try await harness.request(hostile.path, token: .some(nil), headers: hostile.headers)
                let message = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == 401, "\(hostile.name): \(response.status) \(message)")
                #expect(message.contains("token"), "\(hostile.name): the refusal says why: \(message)")
            }
            // A refused push changes nothing, whatever it carries.
            let before = try ControllerServerTests.snapshot(harness.app)
            let push = try await harness.request(
                "/_fastpush/v2/push?token=\(token)", method: .POST, body: Self.push("static/owned.txt", "owned"), token: .some(nil))
            #expect(push.status == 401)
            try await Self.expectStillServing(harness, unchanged: before)
        }
    }

    // MARK: Paths

    @Test func lookalikesOfTheBasePathDoNotReachTheControlAPI() async throws {
        try await Harness.with(options: Self.options) { harness in
            // Sent raw, so that no client normalizes them; each either goes to the app (which answers every GET
            // with its page) or is refused: none may answer with the controller's status.
            for path in [
                "/%5Ffastpush/v2/status", "//_fastpush/v2/status", "/_FASTPUSH/v2/status", "/_fastpush/v2/../v2/status",
                "/static/../_fastpush/v2/status", "/_fastpush%2Fv2%2Fstatus",
            ] {
                let answer = try await RawConnection.with(port: harness.port) { connection in
                    try await connection.write(Array("GET \(path) HTTP/1.1\r\nHost: app.example\r\nConnection: close\r\n\r\n".utf8))
                    let head = try await connection.readHead()
                    var body: [UInt8] = []
                    while let more = try? await connection.read(1) { body += more }
                    return (head, String(decoding: body, as: UTF8.self))
                }
                #expect(!answer.1.contains("rootDigest") && !answer.1.contains("backend"), "\(path) reached the control API: \(answer.0)")
                #expect(answer.0.hasPrefix("HTTP/1.1 200") || answer.0.hasPrefix("HTTP/1.1 401") || answer.0.hasPrefix("HTTP/1.1 404"), "\(path): \(answer.0)")
            }
            try await Self.expectStillServing(harness)
        }
    }

    @Test func signaturesAreOnlyForFilesInsideTheApp() async throws {
        try await Harness.with(options: Self.options) { harness in
            let outside = try FileTree.makeTemporaryDirectory(prefix: "fastpush-outside-")
            defer { try? FileTree.removeRecursively(outside) }
            try FileTree.write(Array("root:x:0:0\n".utf8), to: outside + "/secret.txt")
            #expect(symlink(outside, harness.app + "/escape") == 0)
            #expect(symlink(outside + "/secret.txt", harness.app + "/secret-link.txt") == 0)
            #expect(mkfifo(harness.app + "/static/pipe", 0o644) == 0)
            let cases: [(name: String, body: String, status: Int, says: String?)] = [
                ("a path with ..", "../../etc/passwd", 400, "unsafe path"),
                ("an absolute path", "/etc/passwd", 400, "unsafe path"),
                ("a file behind a symlinked directory", "escape/secret.txt", 200, nil),
                ("a symlink to a file outside", "secret-link.txt", 200, nil),
                // Opening a FIFO waits for a writer: asking for its signature must not stall the controller.
                ("a FIFO", "static/pipe", 200, nil),
            ]
            for hostile in cases {
                let response = try await harness.request("/_fastpush/v2/signatures", method: .POST, body: Array(hostile.body.utf8))
                let message = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == hostile.status, "\(hostile.name): \(message)")
                if let says = hostile.says { #expect(message.contains(says), "\(hostile.name): \(message)") }
                // Nothing about a file outside the app or a FIFO: no signature comes back.
                if hostile.status == 200 { #expect(response.body.isEmpty, "\(hostile.name): signed a file outside the app") }
            }
            let tooMany = try await harness.request(
                "/_fastpush/v2/signatures", method: .POST, body: Array(repeating: UInt8(ascii: "a"), count: 5 << 20))
            #expect(tooMany.status == 413, "a 5 MiB list of paths")
            try await Self.expectStillServing(harness)
        }
    }

    @Test func malformedPathListsAreRefusedWithWhatIsWrong() async throws {
        try await Harness.with(options: Self.options) { harness in
            let header = PathList.magic + [PathList.version]
            func framed(_ build: (inout ByteWriter) -> Void) -> [UInt8] {
                var writer = ByteWriter()
                writer.bytes(header)
                build(&writer)
                return writer.bytes
            }
            let cases: [(name: String, body: [UInt8], status: Int, says: String)] = [
                ("a truncated count", header, 400, "truncated"),
                ("fewer paths than counted", framed { $0.varint(2); $0.lengthPrefixed(Array("app.py".utf8)) }, 400, "truncated"),
                ("a path cut short", framed { $0.varint(1); $0.varint(10); $0.bytes(Array("app".utf8)) }, 400, "truncated"),
                ("a count beyond what the body can hold", framed { $0.varint(1 << 40) }, 400, "path count"),
                ("a path longer than PATH_MAX", framed { $0.varint(1); $0.varint(5000); $0.bytes([UInt8](repeating: 0x61, count: 5000)) }, 400, "path"),
                ("a path that is not UTF-8", framed { $0.varint(1); $0.lengthPrefixed([0x61, 0xFF]) }, 400, "UTF-8"),
                ("bytes after the last path", framed { $0.varint(1); $0.lengthPrefixed(Array("app.py".utf8)); $0.byte(0) }, 400, "after"),
                ("an unknown version", PathList.magic + [9, 0], 400, "version"),
                ("a path with ..", PathList.encoded(["static/../../etc/passwd"]), 400, "unsafe path"),
            ]
            for hostile in cases {
                let response = try await harness.request("/_fastpush/v2/signatures", method: .POST, body: hostile.body)
                let message = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == hostile.status, "\(hostile.name): \(message)")
                #expect(message.contains(hostile.says), "\(hostile.name): \(message)")
            }
            let paths = (0..<200_000).map { "static/\($0)-\(String(repeating: "x", count: 20))" }
            let tooLong = try await harness.request("/_fastpush/v2/signatures", method: .POST, body: PathList.encoded(paths))
            #expect(tooLong.status == 413, "a 6 MiB list of paths")
            try await Self.expectStillServing(harness)
        }
    }

    @Test func pushesAtPathsTheAppCannotTakeAreRefused() async throws {
        try await Harness.with(options: Self.options) { harness in
            let before = try ControllerServerTests.snapshot(harness.app)
            // (Removed before the app is compared: reading a FIFO to compare it would wait for a writer.)
            #expect(mkfifo(harness.app + "/static/pipe", 0o644) == 0)
            let cases: [(name: String, bundle: [UInt8], status: Int, says: String)] = [
                ("the staging prefix", Self.push(BundleApplier.stagingPrefix + "x/evil.txt", "x"), 400, "reserved"),
                ("a FIFO in the app", Self.push("static/pipe", "x"), 409, "special file"),
                ("a file under a file", Self.push("app.py/x.txt", "x"), 409, "is a file"),
                ("a missing directory", Self.push("nowhere/x.txt", "x"), 409, "does not exist"),
                (
                    "deleting a directory that still has files",
                    PushBundle(operations: [.delete(path: "static", expected: .directory)]).encoded(), 409, "still holds"
                ),
            ]
            for hostile in cases {
                let response = try await harness.request("/_fastpush/v2/push", method: .POST, body: hostile.bundle)
                let message = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == hostile.status, "\(hostile.name): \(message)")
                #expect(message.contains(hostile.says), "\(hostile.name): \(message)")
            }
            try await Self.expectStillServing(harness)
            unlink(harness.app + "/static/pipe")
            try await Self.expectStillServing(harness, unchanged: before)
        }
    }

    @Test func pushesOutsideTheBackendDirectoriesAreRefused() async throws {
        var options = Self.options
        options.configure = { $0.backendDirectories = ["static"] }
        try await Harness.with(options: options) { harness in
            let before = try ControllerServerTests.snapshot(harness.app)
            for path in ["app.py", "staticx/a.css"] {
                let response = try await harness.request("/_fastpush/v2/push", method: .POST, body: Self.push(path, "x"))
                let message = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == 400, "\(path): \(message)")
                #expect(message.contains("outside backend_dirs"), "\(path): \(message)")
            }
            try await Self.expectStillServing(harness, unchanged: before)
        }
    }

    // MARK: Parameters and methods

    @Test func unknownParametersAndMethodsAreRefused() async throws {
        try await Harness.with(options: Self.options) { harness in
            let before = try ControllerServerTests.snapshot(harness.app)
            let bundle = Self.push("static/new.txt", "new")
            // A push that asked for a dry run in words the controller does not know must not become a real push.
            let unclear = try await harness.request("/_fastpush/v2/push?dry_run=yes", method: .POST, body: bundle)
            #expect(unclear.status == 400, "\(String(decoding: unclear.body, as: UTF8.self))")
            #expect(String(decoding: unclear.body, as: UTF8.self).contains("dry_run"))
            let restart = try await harness.request("/_fastpush/v2/push?restart=sometimes", method: .POST, body: bundle)
            #expect(restart.status == 400)
            #expect(String(decoding: restart.body, as: UTF8.self).contains("restart=always"))
            for method in [HTTPMethod.DELETE, .PUT, .GET] {
                let status = try await harness.request("/_fastpush/v2/push", method: method).status
                #expect(status == 404 || status == 405, "\(method) v2/push answered \(status)")
            }
            try await Self.expectStillServing(harness, unchanged: before)
        }
    }

    // MARK: Sizes and encodings

    @Test func sizeLimitsHoldWhateverTheRequestClaims() async throws {
        try await Harness.with(options: Self.options) { harness in
            let before = try ControllerServerTests.snapshot(harness.app)
            let tooLarge = [UInt8](repeating: 7, count: Self.maxPushBytes + 1)
            let push = try await harness.request("/_fastpush/v2/push", method: .POST, body: tooLarge)
            #expect(push.status == 413)
            #expect(String(decoding: push.body, as: UTF8.self).contains("max_push_bytes"))
            // The original API: base64 JSON over the same limit.
            let json = #"{"static/big.txt":{"Content":""# + String(repeating: "QUFB", count: Self.maxPushBytes / 3) + #""}}"#
            let legacy = try await harness.request("/_fastpush/files", method: .PUT, body: Array(json.utf8))
            #expect(legacy.status == 413, "an oversized upload to the original API")
            // A Content-Length that lies (10 GB claimed) is not trusted: the limit counts the bytes that come.
            let claimed = "POST /_fastpush/v2/push HTTP/1.1\r\nHost: app.example\r\nx-auth-token: \(harness.token ?? "")\r\nContent-Length: 10000000000\r\n\r\n"
            let outcome = try await Self.raw(Array(claimed.utf8) + tooLarge, port: harness.port)
            #expect(outcome == .status(413) || outcome == .closed, "a lying Content-Length: \(outcome)")
            // A decompression bomb inside the format's own limits: 4 MiB of zeros in a few KB of deflated literals,
            // each within its declared length, rebuilding a file beyond the largest a push may create.
            let bomb = Delta.make(signature: Signature(bytes: []), bytes: [UInt8](repeating: 0, count: 4 << 20)).delta
            #expect(bomb.count < 64 << 10)
            let bundle = PushBundle(operations: [.file(path: "static/bomb.bin", expected: .absent, mode: 0o644, delta: bomb)])
            let inflated = try await harness.request("/_fastpush/v2/push", method: .POST, body: bundle.encoded())
            let message = String(decoding: inflated.body, as: UTF8.self)
            #expect(inflated.status == 413, "a deflate bomb: \(message)")
            #expect(message.contains("bomb.bin"), "\(message)")
            // A compressed body is not inflated on the controller's behalf: it is not a bundle.
            let zeros = [UInt8](repeating: 0, count: 8 << 20)
            let deflated = try #require(
                zeros.withUnsafeBytes { LiteralCompressor().compress($0, dictionary: UnsafeRawBufferPointer(start: nil, count: 0)) })
            let encoded = try await harness.request(
                "/_fastpush/v2/push", method: .POST, body: deflated, headers: [("Content-Encoding", "deflate")])
            #expect(encoded.status == 400)
            #expect(String(decoding: encoded.body, as: UTF8.self).contains("push bundle"))
            try await Self.expectStillServing(harness, unchanged: before)
        }
    }

    /// Control requests whose bodies never end, refused before the body is read (no token) or once it crosses a
    /// limit: each gets its answer with `Connection: close`, the connection ends at once, and the controller reads
    /// a bounded part of the rest (RequestForwarder.lingerByteLimit) instead of all that the client sends.
    @Test func aBodyWithNoEndGetsItsRefusalAndTheConnectionEnds() async throws {
        try await Harness.with(options: Self.options) { harness in
            let before = try ControllerServerTests.snapshot(harness.app)
            let token = try #require(harness.token)
            let chunked = "Transfer-Encoding: chunked\r\n\r\n"
            let chunk = Array(("4000\r\n" + String(repeating: "x", count: 0x4000) + "\r\n").utf8)
            let plain = [UInt8](repeating: UInt8(ascii: "x"), count: 0x4000)
            let cases: [(name: String, head: String, body: [UInt8], status: Int)] = [
                ("a push without a token", "POST /_fastpush/v2/push HTTP/1.1\r\nHost: a\r\n" + chunked, chunk, 401),
                (
                    "a push over max_push_bytes", "POST /_fastpush/v2/push HTTP/1.1\r\nHost: a\r\nx-auth-token: \(token)\r\n" + chunked,
                    chunk, 413
                ),
                (
                    "an upload to the original API claiming 10 GB",
                    "PUT /_fastpush/files HTTP/1.1\r\nHost: a\r\nx-auth-token: \(token)\r\nContent-Length: 10000000000\r\n\r\n", plain, 413
                ),
                (
                    "a list of paths to sign with no end",
                    "POST /_fastpush/v2/signatures HTTP/1.1\r\nHost: a\r\nx-auth-token: \(token)\r\n" + chunked, chunk, 413
                ),
            ]
            for hostile in cases {
                let readBefore = try Self.bytesReadByThisProcess()
                let (answer, sent, after) = try await RawConnection.with(port: harness.port) { connection in
                    try await connection.write(Array(hostile.head.utf8))
                    // The client keeps sending while it reads, as an upload does.
                    let sender = connection.sender
                    let sending = Task { await sender.sendRepeatedly(hostile.body) }
                    let answer = try await connection.readResponse()
                    let answered = ContinuousClock.now
                    let ended = try await connection.atEnd()
                    let after = ContinuousClock.now - answered
                    // The sender stops by itself when the controller closes; cancelled, it would stop anyway.
                    let stop = Task {
                        try await Task.sleep(for: .seconds(10))
                        sending.cancel()
                    }
                    let sent = await sending.value
                    stop.cancel()
                    #expect(ended, "\(hostile.name): the connection did not end after the answer")
                    return (answer, sent, after)
                }
                // The controller runs in this process: what it read from its sockets is most of what the process read.
                let read = try Self.bytesReadByThisProcess() - readBefore
                print(
                    "\(hostile.name): answered \(answer.head.prefix(12)), connection ended \(after) later; the client sent \(sent >> 10) KiB, the controller read \(read >> 10) KiB"
                )
                #expect(answer.head.hasPrefix("HTTP/1.1 \(hostile.status) "), "\(hostile.name): \(answer.head)")
                #expect(answer.head.lowercased().contains("connection: close\r\n"), "\(hostile.name): \(answer.head)")
                #expect(after < .seconds(5), "\(hostile.name): the connection ended \(after) after the answer")
                // What the controller read: the limit (4 MiB for signatures), then RequestForwarder.lingerByteLimit, about
                // 1-8 MiB; the bound leaves room for what suites running alongside read meanwhile (rchar is the
                // process's). Reading on after the answer, it read gigabytes.
                #expect(read < 128 << 20, "\(hostile.name): the controller read \(read >> 20) MiB")
                // That, and what the sockets hold in flight.
                #expect(sent < 256 << 20, "\(hostile.name): the client could send \(sent >> 20) MiB")
            }
            try await Self.expectStillServing(harness, unchanged: before)
        }
    }

    /// Bytes this process has read through read(2) and its kin, sockets included (`rchar` in /proc/self/io).
    static func bytesReadByThisProcess() throws -> Int {
        // (Read as a stream: /proc files say they are empty.)
        let text = try String(contentsOfFile: "/proc/self/io", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("rchar:") })
        return try #require(Int(line.dropFirst("rchar:".count).trimmingCharacters(in: .whitespaces)))
    }

    // MARK: Malformed HTTP

    @Test func malformedHTTPIsRefusedAndTheControllerKeepsServing() async throws {
        try await Harness.with(options: Self.options) { harness in
            let before = try ControllerServerTests.snapshot(harness.app)
            let token = harness.token ?? ""
            let bundle = String(decoding: Self.push("static/smuggled.txt", "smuggled"), as: UTF8.self)
            let start = "POST /_fastpush/v2/push HTTP/1.1\r\nHost: app.example\r\nx-auth-token: \(token)\r\n"
            let cases: [(name: String, request: [UInt8])] = [
                ("a request line that is not HTTP", Array("HELLO WORLD\r\n\r\n".utf8)),
                ("a header line without a colon", Array((start + "Content-Length 3\r\n\r\nabc").utf8)),
                (
                    "Content-Length and chunked together (request smuggling)",
                    Array((start + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").utf8)
                ),
                ("a chunk size that is not hex", Array((start + "Transfer-Encoding: chunked\r\n\r\nzz\r\n\(bundle)\r\n0\r\n\r\n").utf8)),
                ("a negative Content-Length", Array((start + "Content-Length: -1\r\n\r\n").utf8)),
                ("two different Content-Lengths", Array((start + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab").utf8)),
                ("a 200 KB header", Array((start + "X-Big: \(String(repeating: "b", count: 200_000))\r\n\r\n").utf8)),
                ("10,000 headers", Array((start + String(repeating: "X-Many: m\r\n", count: 10_000) + "\r\n").utf8)),
                ("a 100 KB URL", Array(("GET /_fastpush/v2/status?\(String(repeating: "q", count: 100_000)) HTTP/1.1\r\nHost: a\r\nx-auth-token: \(token)\r\n\r\n").utf8)),
                ("an HTTP/2 preface on an HTTP/1 port", Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)),
                ("a NUL in the request line", Array("GET /_fastpush/v2/status\0 HTTP/1.1\r\nHost: a\r\n\r\n".utf8)),
            ]
            // A head over the size limits is told apart from one that is not HTTP: the client learns what to change.
            let tooLarge: Set<String> = ["a 200 KB header", "10,000 headers", "a 100 KB URL"]
            for hostile in cases {
                let outcome = try await Self.raw(hostile.request, port: harness.port)
                #expect(outcome.isRefusal, "\(hostile.name): \(outcome)")
                if tooLarge.contains(hostile.name) {
                    #expect(outcome == .status(431), "\(hostile.name): \(outcome)")
                } else if hostile.name == "a request line that is not HTTP" {
                    #expect(outcome == .status(400), "\(hostile.name): \(outcome)")
                }
            }
            try await Self.expectStillServing(harness, unchanged: before)
        }
    }

    // MARK: Slow clients

    @Test func slowClientsDoNotStopOthersFromBeingServed() async throws {
        try await Harness.with(options: Self.options) { harness in
            let token = harness.token ?? ""
            // A push whose body never finishes, a request whose head never finishes, and 50 idle connections.
            let slowBody = try Self.connect(port: harness.port)
            Self.send(slowBody, "POST /_fastpush/v2/push HTTP/1.1\r\nHost: a\r\nx-auth-token: \(token)\r\nContent-Length: 100000\r\n\r\nFPPB")
            let slowHead = try Self.connect(port: harness.port)
            Self.send(slowHead, "POST /_fastpush/v2/push HTTP/1.1\r\nHost: a\r\nx-auth-tok")
            let idle = try (0..<50).map { _ in try Self.connect(port: harness.port) }
            // slowBody is closed below, mid-test: closing it again here could close a descriptor that another
            // test's socket has reused meanwhile.
            defer { for descriptor in [slowHead] + idle { close(descriptor) } }
            try await Task.sleep(for: .milliseconds(200))
            // Meanwhile the app is served, and a push goes through: a push waiting for its body holds no lock.
            try await Self.expectStillServing(harness)
            let push = try await harness.request("/_fastpush/v2/push", method: .POST, body: Self.push("static/meanwhile.txt", "meanwhile"))
            #expect(push.status == 200, "\(String(decoding: push.body, as: UTF8.self))")
            #expect(try FileTree.read(harness.app + "/static/meanwhile.txt") == Array("meanwhile".utf8))
            // Hanging up mid-body applies nothing.
            close(slowBody)
            try await Task.sleep(for: .milliseconds(100))
            #expect(try ControllerServerTests.snapshot(harness.app).keys.allSatisfy { !$0.hasPrefix(BundleApplier.stagingPrefix) })
            try await Self.expectStillServing(harness)
        }
    }

    @Test func pushBodiesHeldAtOnceAreBounded() async throws {
        try await Harness.with(options: Self.options) { harness in
            let token = harness.token ?? ""
            // As many pushes as the allowance takes, each with a body that never finishes.
            let slow = try (0..<ControlAPI.bodiesHeldAtOnce).map { _ in try Self.connect(port: harness.port) }
            for descriptor in slow {
                Self.send(descriptor, "POST /_fastpush/v2/push HTTP/1.1\r\nHost: a\r\nx-auth-token: \(token)\r\nContent-Length: 100000\r\n\r\nFPPB")
            }
            try await Task.sleep(for: .milliseconds(300))
            // One more push waits for a place: its body is not read, so it is not applied.
            let waiting = Task { try await harness.request("/_fastpush/v2/push", method: .POST, body: Self.push("static/third.txt", "third")) }
            try await Task.sleep(for: .seconds(1))
            #expect(try SystemCall.lstatIfPresent(harness.app + "/static/third.txt") == nil, "a third body was taken while two were held")
            // The app is served meanwhile: the allowance holds back bodies, not requests.
            try await Self.expectStillServing(harness)
            // A held body ending frees its place, and the waiting push goes through.
            close(slow[0])
            let answer = try await waiting.value
            #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(try FileTree.read(harness.app + "/static/third.txt") == Array("third".utf8))
            for descriptor in slow.dropFirst() { close(descriptor) }
        }
    }

    // MARK: Concurrent pushes

    @Test func concurrentConflictingPushesAreSerializedAndOneWins() async throws {
        try await Harness.with(options: Self.options) { harness in
            let current = FileDigest(of: Array(Self.page.utf8))
            // Eight pushes that each replace the same stylesheet, all made against its current content.
            let contents = (0..<8).map { "body { color: #\($0)\($0)\($0); }\n" + String(repeating: "/* \($0) */\n", count: 2000) }
            let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for (index, content) in contents.enumerated() {
                    group.addTask {
                        let bundle = Self.push("static/page.css", content, expected: .file(current))
                        return (index, try await harness.request("/_fastpush/v2/push", method: .POST, body: bundle).status)
                    }
                }
                var statuses: [Int: Int] = [:]
                for try await (index, status) in group { statuses[index] = status }
                return statuses
            }
            let winners = statuses.filter { $0.value == 200 }.map(\.key)
            #expect(winners.count == 1, "\(statuses)")
            #expect(statuses.values.filter { $0 == 409 }.count == contents.count - 1, "\(statuses)")
            // The stylesheet is entirely the winner's: not another push's, not a mix.
            let page = String(decoding: try FileTree.read(harness.app + "/static/page.css"), as: UTF8.self)
            #expect(winners.first.map { contents[$0] } == page)
            #expect(try await harness.request("/_fastpush/v2/status").status == 200)
            #expect(try ControllerServerTests.snapshot(harness.app).keys.allSatisfy { !$0.hasPrefix(BundleApplier.stagingPrefix) })
        }
    }
}
