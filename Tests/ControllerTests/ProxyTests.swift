import Foundation
import Testing

@testable import Controller

/// The reverse proxy byte for byte: raw client connections through a real controller to a real Python app,
/// for what HTTP clients do beyond one request at a time.
@Suite(.serialized) struct ProxyTests {
    typealias Harness = ControllerHarness

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func pipelinedRequestsForTheAppAndTheControllerAreAnsweredInOrder() async throws {
        try await Harness.with { harness in
            let token = try #require(harness.token)
            try await RawConnection.with(port: harness.port) { connection in
                // Four requests in one write: the app, the controller, the app with a body, the app.
                try await connection.write(Self.bytes(
                    "GET /whoami HTTP/1.1\r\nHost: app.example\r\n\r\n"
                        + "GET /_fastpush/v2/status HTTP/1.1\r\nHost: app.example\r\nx-auth-token: \(token)\r\n\r\n"
                        + "POST /echo HTTP/1.1\r\nHost: app.example\r\nContent-Length: 5\r\n\r\nhello"
                        + "GET /page HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                let whoami = try await connection.readResponse()
                #expect(whoami.head.hasPrefix("HTTP/1.1 200 "))
                #expect(try harness.json(whoami.body)["pid"] is Int)
                let status = try await connection.readResponse()
                #expect(status.head.hasPrefix("HTTP/1.1 200 "))
                #expect(try harness.json(status.body)["backend"] is [String: Any])
                let echo = try await connection.readResponse()
                #expect(echo.head.hasPrefix("HTTP/1.1 200 "))
                #expect(echo.body == Self.bytes("hello"))
                let page = try await connection.readResponse()
                #expect(page.body == Self.bytes("body { color: red }\n"))
            }
        }
    }

    @Test func aClientThatStopsSendingStillGetsEveryAnswer() async throws {
        try await Harness.with { harness in
            try await RawConnection.with(port: harness.port) { connection in
                // Two requests, then the end of the client's input, all before the first answer.
                try await connection.write(Self.bytes(
                    "GET /slow HTTP/1.1\r\nHost: app.example\r\n\r\nGET /page HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                connection.finishWriting()
                #expect(try await connection.readResponse().body == Self.bytes("slow but sure\n"))
                #expect(try await connection.readResponse().body == Self.bytes("body { color: red }\n"))
                #expect(try await connection.atEnd())
            }
        }
    }

    @Test func shuttingDownFinishesTheAnswerInProgressAndClosesIdleConnections() async throws {
        try await Harness.with { harness in
            try await RawConnection.with(port: harness.port) { idle in
                try await idle.write(Self.bytes("GET /page HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                #expect(try await idle.readResponse().head.hasPrefix("HTTP/1.1 200 "))
                try await RawConnection.with(port: harness.port) { busy in
                    try await busy.write(Self.bytes("GET /slow HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                    try await Task.sleep(for: .milliseconds(300))
                    await harness.beginShutdown()
                    // The answer comes whole, then the connection ends. (It says `Connection: close` only if
                    // the shutdown reached the connection before the app's head did: a matter of timing.)
                    let answer = try await busy.readResponse()
                    #expect(answer.head.hasPrefix("HTTP/1.1 200 "))
                    #expect(answer.body == Self.bytes("slow but sure\n"))
                    #expect(try await busy.atEnd())
                }
                #expect(try await idle.atEnd())
            }
        }
    }

    @Test func chunkedBodiesAndInterimAnswersPassThrough() async throws {
        try await Harness.with { harness in
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.write(Self.bytes(
                    "POST /echo HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\n"
                        + "Expect: 100-continue\r\n\r\n"))
                // The app asks for the body; the client sends it only then.
                let interim = try await connection.readResponse()
                #expect(interim.head.hasPrefix("HTTP/1.1 100 "))
                try await connection.write(Self.bytes("6\r\nchunk \r\n5\r\nby ch\r\n4\r\nunk\n\r\n0\r\n\r\n"))
                let echo = try await connection.readResponse()
                #expect(echo.head.hasPrefix("HTTP/1.1 200 "))
                #expect(echo.body == Self.bytes("chunk by chunk\n"))
                // The connection is still good for the next request.
                try await connection.write(Self.bytes("GET /page HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                #expect(try await connection.readResponse().body == Self.bytes("body { color: red }\n"))
            }
        }
    }

    @Test func answersWithoutALengthReachEveryClientWhole() async throws {
        try await Harness.with { harness in
            // An HTTP/1.1 client gets the body chunked and keeps its connection.
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.write(Self.bytes("GET /unframed HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                let unframed = try await connection.readResponse()
                #expect(unframed.head.lowercased().contains("transfer-encoding: chunked"))
                #expect(unframed.body == Self.bytes("no length: the body ends with the connection\n"))
                try await connection.write(Self.bytes("HEAD /page HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                let head = try await connection.readResponse(bodyless: true)
                #expect(head.head.lowercased().contains("content-length: 20"))
                try await connection.write(Self.bytes("GET /page HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                #expect(try await connection.readResponse().body == Self.bytes("body { color: red }\n"))
            }
            // An HTTP/1.0 client cannot take chunks: its body ends with the connection.
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.write(Self.bytes("GET /unframed HTTP/1.0\r\nHost: app.example\r\nConnection: keep-alive\r\n\r\n"))
                let unframed = try await connection.readResponse()
                #expect(unframed.head.hasPrefix("HTTP/1.0 200 "))
                #expect(!unframed.head.lowercased().contains("transfer-encoding"))
                #expect(unframed.body == Self.bytes("no length: the body ends with the connection\n"))
            }
            // An HTTP/1.0 client that asks to keep its connection keeps it when the answer has a length.
            try await RawConnection.with(port: harness.port) { connection in
                for _ in 0..<2 {
                    try await connection.write(Self.bytes("GET /page HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
                    let page = try await connection.readResponse()
                    #expect(page.head.lowercased().contains("connection: keep-alive"))
                    #expect(page.body == Self.bytes("body { color: red }\n"))
                }
            }
        }
    }

    @Test func fieldsThatDescribeTheClientsConnectionStayWithIt() async throws {
        try await Harness.with { harness in
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.write(Self.bytes(
                    "GET /whoami HTTP/1.1\r\nHost: app.example\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\n"
                        + "Keep-Alive: timeout=5\r\nX-End-To-End: kept\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"))
                let headers = try #require(try harness.json(try await connection.readResponse().body)["headers"] as? [String: String])
                #expect(headers["X-Hop"] == nil)
                #expect(headers["Keep-Alive"] == nil)
                #expect(headers["X-End-To-End"] == "kept")
                #expect(headers["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1")
                #expect(headers["X-Forwarded-Host"] == "app.example")
            }
        }
    }

    @Test func smuggledRequestsNeverReachTheApp() async throws {
        try await Harness.with { harness in
            // Each would hide a second request (GET /whoami) from a proxy that read the framing differently
            // than the app does: the request is refused and the connection ends before anything follows.
            let hidden = "GET /whoami HTTP/1.1\r\nHost: app.example\r\n\r\n"
            for framing in [
                "Content-Length: \(hidden.utf8.count + 5)\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "Content-Length: 0\r\nContent-Length: \(hidden.utf8.count)\r\n\r\n",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
            ] {
                try await RawConnection.with(port: harness.port) { connection in
                    try await connection.write(Self.bytes("POST /echo HTTP/1.1\r\nHost: app.example\r\n" + framing + hidden))
                    let refused = try await connection.readResponse()
                    #expect(refused.head.hasPrefix("HTTP/1.1 400 "), "\(framing): \(refused.head)")
                    #expect(try await connection.atEnd(), "\(framing)")
                }
            }
            // A chunk size that is not hex, in the middle of a proxied body: the exchange ends there.
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.write(Self.bytes(
                    "POST /echo HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfine\r\nzz\r\n" + hidden))
                while let response = try? await connection.readResponse() {
                    #expect(!response.head.hasPrefix("HTTP/1.1 200 "), "\(response.head)")
                }
            }
            #expect(try await harness.request("/page", token: .some(nil)).status == 200)
        }
    }

    @Test func anAppThatClosesWithoutAnsweringGetsA502ThatSaysSo() async throws {
        try await Harness.with { harness in
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.write(Self.bytes("GET /page HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                #expect(try await connection.readResponse().head.hasPrefix("HTTP/1.1 200 "))
                try await connection.write(Self.bytes("GET /close-without-answer HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                let failed = try await connection.readResponse()
                #expect(failed.head.hasPrefix("HTTP/1.1 502 "))
                #expect(String(decoding: failed.body, as: UTF8.self).contains("closed the connection without answering"))
                // The client's connection outlives the app's.
                try await connection.write(Self.bytes("GET /page HTTP/1.1\r\nHost: app.example\r\n\r\n"))
                #expect(try await connection.readResponse().body == Self.bytes("body { color: red }\n"))
            }
            // A POST is never sent twice: the app dropping it unanswered is a 502 at once, while its body is
            // still on its way. The rest of the body is still read (a client that is still sending would miss
            // the answer under a reset), then the connection ends.
            try await RawConnection.with(port: harness.port) { connection in
                let length = 1 << 20
                try await connection.write(
                    Self.bytes("POST /close-without-answer HTTP/1.1\r\nHost: app.example\r\nContent-Length: \(length)\r\n\r\n")
                        + Array(repeating: 7, count: 65_536))
                let dropped = try await connection.readResponse()
                #expect(dropped.head.hasPrefix("HTTP/1.1 502 "))
                #expect(dropped.head.lowercased().contains("connection: close"))
                #expect(String(decoding: dropped.body, as: UTF8.self).contains("the app on port"))
                try await connection.write(Array(repeating: 7, count: length - 65_536))
                #expect(try await connection.atEnd())
            }
            #expect(try await harness.request("/page", token: .some(nil)).status == 200)
        }
    }

    @Test func requestsWithBodiesDuringARestartWaitForTheApp() async throws {
        try await Harness.with { harness in
            let before = try await harness.backendPid()
            try await harness.beginRestart()
            let body = Array(repeating: UInt8(ascii: "x"), count: 300_000)
            let echoed = try await harness.request("/echo", method: .POST, body: body, token: .some(nil))
            #expect(echoed.status == 200)
            #expect(echoed.body == body)
            #expect(try await harness.backendPid() != before)
        }
    }

    @Test func anAppThatDoesNotComeBackGetsA503ThatSaysWhy() async throws {
        let options = Harness.Options(configure: { config in config.requestWait = .milliseconds(500) })
        try await Harness.with(options: options) { harness in
            // Restarted, the test app takes a second to listen again: longer than requests may wait here.
            try await harness.beginRestart()
            let slow = try await harness.request("/page", token: .some(nil))
            #expect(slow.status == 503)
            #expect(String(decoding: slow.body, as: UTF8.self).contains("did not start accepting connections"))
            // Stopped, no app is coming: the answer does not wait.
            #expect(await harness.server.backend.waitUntilReady(timeout: .seconds(60)))
            await harness.server.backend.stop()
            let stopped = try await harness.request("/page", token: .some(nil))
            #expect(stopped.status == 503)
            #expect(String(decoding: stopped.body, as: UTF8.self).contains("the app is not running: it was stopped"))
        }
    }
}
