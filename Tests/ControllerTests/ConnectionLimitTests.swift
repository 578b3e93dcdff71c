import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import Testing

@testable import Controller
@testable import DeltaSync

/// The controller as a container runs it, with few file descriptors (`ulimit -n 256`), against clients that connect
/// and stall: more half-sent request heads than it has descriptors. The header timeout gives their descriptors back,
/// the listener survives running out of them (accepting again later, without spinning), and the app's requests and
/// pushes are served again.
@Suite(.serialized) struct ConnectionLimitTests {
    static let descriptorLimit = 256
    static let stalledClients = 300
    static let headerTimeout = 2
    static let keptAliveClients = 130

    @Test func clientsStallingBeyondTheDescriptorLimitAreTimedOutAndOthersServed() async throws {
        let base = try FileTree.makeTemporaryDirectory(prefix: "fastpush-descriptors-")
        defer { try? FileTree.removeRecursively(base) }
        let app = base + "/app"
        try FileTree.makeDirectories(app)
        try SmallestApp.write(to: base + "/backend.py")
        let token = "limit-token-\(UInt32.random(in: 0...UInt32.max))"
        let controller = try ControllerProcess(
            app: app, backendCommand: "exec python3 '\(base)/backend.py'", token: token, log: base + "/controller.log",
            settings: [
                "FASTPUSH_HEADER_TIMEOUT_SECONDS": String(Self.headerTimeout), "FASTPUSH_IDLE_TIMEOUT_SECONDS": "3",
            ],
            descriptorLimit: Self.descriptorLimit)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            _ = try await controller.waitUntilBackendRuns(client: client)
            try await Self.stallAndServe(controller)
        } catch {
            Issue.record("\(error); log: \(controller.tail())")
        }
        await controller.terminate()
        try await client.shutdown()
    }

    /// A proxied GET and a push, each on a new connection (a client of their own: no kept-alive connection from
    /// before); both must succeed.
    private static func expectServed(_ controller: ControllerProcess, pushing path: String) async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(controller.port)/page")
        request.headers.add(name: "Connection", value: "close")
        let page = try await client.execute(request, timeout: .seconds(30))
        let body = try await page.body.collect(upTo: 1 << 20)
        #expect(page.status == .ok, "\(String(buffer: body))")
        print("a proxied GET was answered after \(ContinuousClock.now - started)")
        let delta = Delta.make(signature: Signature(bytes: []), bytes: Array("pushed".utf8)).delta
        var push = HTTPClientRequest(url: "http://127.0.0.1:\(controller.port)/_fastpush/v2/push")
        push.method = .POST
        push.headers.add(name: "x-auth-token", value: controller.token)
        push.headers.add(name: "Connection", value: "close")
        push.body = .bytes(
            PushBundle(operations: [.file(path: path, expected: .absent, mode: 0o644, delta: delta)]).encoded())
        let pushed = try await client.execute(push, timeout: .seconds(30))
        let answer = try await pushed.body.collect(upTo: 1 << 20)
        #expect(pushed.status == .ok, "\(String(buffer: answer))")
        #expect(controller.isRunning)
    }

    private static func stallAndServe(_ controller: ControllerProcess) async throws {
        // Half a head each: the controller takes as many as its connection limit allows (the descriptor limit less
        // a reserve), the rest wait in the listen queue.
        let stalled = try (0..<Self.stalledClients).map { _ in
            let descriptor = try HostileHTTPTests.connect(port: controller.port)
            HostileHTTPTests.send(descriptor, "GET /stalled HTTP/1.1\r\nHost: a\r\nX-Half-A-He")
            return descriptor
        }
        var stalledOpen = true
        defer { if stalledOpen { for descriptor in stalled { close(descriptor) } } }
        // The app's requests and pushes get through once the stalled clients are timed out.
        try await Self.expectServed(controller, pushing: "first.txt")
        // A stalled client was told why its connection ended.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(stalled[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(stalled[0], &buffer, buffer.count, 0)
        let answerText = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
        #expect(answerText.hasPrefix("HTTP/1.1 408 "), "\(answerText)")
        #expect(answerText.contains("header_timeout_seconds"), "\(answerText)")
        // Those still waiting leave, and take none of the descriptors the next part needs.
        for descriptor in stalled { close(descriptor) }
        stalledOpen = false
        try await Task.sleep(for: .milliseconds(500))

        // Kept-alive proxied connections, each holding a connection to the app too: together more descriptors than
        // the controller has, so accepting the next connections fails. It must not spin meanwhile.
        let kept = try (0..<Self.keptAliveClients).map { _ in
            let descriptor = try HostileHTTPTests.connect(port: controller.port)
            HostileHTTPTests.send(descriptor, "GET /page HTTP/1.1\r\nHost: a\r\n\r\n")
            return descriptor
        }
        defer { for descriptor in kept { close(descriptor) } }
        try await Task.sleep(for: .milliseconds(300))
        let more = try (0..<10).map { _ in try HostileHTTPTests.connect(port: controller.port) }
        defer { for descriptor in more { close(descriptor) } }
        try await Task.sleep(for: .milliseconds(300))
        let cpuBefore = try controller.cpuTime()
        try await Task.sleep(for: .milliseconds(1500))
        let cpu = try controller.cpuTime() - cpuBefore
        print("with \(Self.keptAliveClients) kept-alive proxied connections and \(Self.descriptorLimit) descriptors: \(cpu) of CPU in 1.5 s")
        // Calling accept(2) again and again, failing each time, takes half a core or more.
        #expect(cpu < .milliseconds(400), "the controller used \(cpu) of CPU in 1.5 s while out of descriptors")
        // Once the idle connections are closed, the listener accepts again.
        try await Self.expectServed(controller, pushing: "second.txt")
        #expect(controller.tail().contains("cannot accept connections: Too many open files"), "\(controller.tail())")
        #expect(controller.tail().contains("accepting connections again"), "\(controller.tail())")
    }
}
