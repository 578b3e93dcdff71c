import AsyncHTTPClient
import Foundation
import Testing

@testable import DeltaSync

/// Request heads far over the size limits (1 MiB of header fields), many at once, against the real binary: each is
/// answered 431 at once and its connection ended, and the controller does not keep the memory they passed through.
@Suite struct OversizedHeadTests {
    @Test func oversizedHeadsAreRefusedAndTheirMemoryIsNotKept() async throws {
        let base = try FileTree.makeTemporaryDirectory(prefix: "fastpush-oversized-")
        defer { try? FileTree.removeRecursively(base) }
        let app = base + "/app"
        try FileTree.makeDirectories(app)
        let controller = try ControllerProcess(
            app: app, backendCommand: try SmallestApp.write(to: base + "/backend.py"), token: "oversized-token",
            log: base + "/controller.log")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            _ = try await controller.waitUntilBackendRuns(client: client)
            let head = Array("GET /page HTTP/1.1\r\nHost: app.example\r\nX-Big: ".utf8) + Array(repeating: UInt8(ascii: "b"), count: 1 << 20)
                + Array("\r\n\r\n".utf8)
            // Allocators settle after the first requests (arenas, pools): the growth that counts is after them.
            try await Self.send(head, times: 16, to: controller.port)
            let settled = try Self.residentBytes(of: controller.pid)
            try await Self.send(head, times: 64, to: controller.port)
            let after = try Self.residentBytes(of: controller.pid)
            print("oversized heads: resident \(settled >> 20) MiB after 16 heads of 1 MiB, \(after >> 20) MiB after 64 more")
            // Kept at the rate once seen (about 200 KB a head: 35 to 233 MB over 1,000), 64 heads would add 12 MiB.
            #expect(after - settled < 6 << 20, "resident memory grew from \(settled) to \(after) bytes")
            let page = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(controller.port)/page"), timeout: .seconds(60))
            #expect(page.status == .ok, "the app is still served")
        } catch {
            Issue.record("\(error); log: \(controller.tail())")
        }
        await controller.terminate()
        try await client.shutdown()
    }

    /// Sends `head` on `times` new connections, eight at a time; each must be answered 431.
    private static func send(_ head: [UInt8], times: Int, to port: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<times {
                if index >= 8 { try await group.next() }
                group.addTask {
                    let outcome = try await HostileHTTPTests.raw(head, port: port)
                    #expect(outcome == .status(431), "head \(index + 1): \(outcome)")
                }
            }
            try await group.waitForAll()
        }
    }

    /// The resident set size of process `pid`, from /proc.
    private static func residentBytes(of pid: Int32) throws -> Int {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kilobytes = try #require(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) })
        return kilobytes << 10
    }
}
