import Foundation
import NIOCore
import NIOPosix

/// A plain TCP connection to a loopback port that reads and writes bytes, so a test sees exactly what
/// crosses the controller: an HTTP head, then WebSocket frames (RFC 6455) written and parsed by hand.
struct RawConnection {
    struct Failure: Error, CustomStringConvertible { let description: String }

    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffered: [UInt8] = []

    /// Connects to 127.0.0.1:`port` and runs `body` with the connection, closing it afterwards.
    static func with<Result: Sendable>(
        port: Int, _ body: (inout RawConnection) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        // A test that waits for bytes that never come fails instead of hanging: the connection is closed
        // after the time limit, which ends every read with an error that says how far it got.
        let limit = channel.channel.eventLoop.scheduleTask(in: .seconds(30)) { channel.channel.close(promise: nil) }
        defer { limit.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }

    private init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound
        self.outbound = outbound
    }

    func write(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Closes the sending side only (a TCP half-close): the peer reads the end of the input, and can answer.
    func finishWriting() {
        outbound.finish()
    }

    /// The sending side alone, for a task that sends while the test reads.
    var sender: Sender { Sender(outbound: outbound) }

    struct Sender: Sendable {
        fileprivate let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

        /// Sends `chunk` again and again, as a client with a body that has no end, until the connection takes no
        /// more (it closed) or the task is cancelled; returns how many bytes went out.
        func sendRepeatedly(_ chunk: [UInt8]) async -> Int {
            let buffer = ByteBuffer(bytes: chunk)
            var sent = 0
            while !Task.isCancelled {
                do { try await outbound.write(buffer) } catch { break }
                sent += chunk.count
            }
            return sent
        }
    }

    /// Reads exactly `count` bytes.
    mutating func read(_ count: Int) async throws -> [UInt8] {
        while buffered.count < count {
            guard try await fill() else { throw Failure(description: "the connection closed after \(buffered.count) of \(count) bytes") }
        }
        defer { buffered.removeFirst(count) }
        return Array(buffered[..<count])
    }

    /// Reads an HTTP response head, up to and including its blank line.
    mutating func readHead() async throws -> String {
        let end = Array("\r\n\r\n".utf8)
        while true {
            if let range = buffered.firstRange(of: end) {
                let head = String(decoding: buffered[..<range.upperBound], as: UTF8.self)
                buffered.removeFirst(range.upperBound)
                return head
            }
            guard try await fill() else {
                throw Failure(description: "the connection closed before a response head: \(String(decoding: buffered, as: UTF8.self))")
            }
        }
    }

    /// Reads a whole HTTP response: its head and its body, framed by Content-Length, chunked, or (with neither)
    /// ending with the connection. `bodyless` is for answers to HEAD.
    mutating func readResponse(bodyless: Bool = false) async throws -> (head: String, body: [UInt8]) {
        let head = try await readHead()
        let fields = head.lowercased()
        if bodyless || head.hasPrefix("HTTP/1.1 1") || head.hasPrefix("HTTP/1.1 204") || head.hasPrefix("HTTP/1.1 304") {
            return (head, [])
        }
        if let line = fields.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            return (head, try await read(length))
        }
        if fields.contains("\r\ntransfer-encoding: chunked\r\n") {
            var body: [UInt8] = []
            while true {
                let sizeLine = try await readLine()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw Failure(description: "a bad chunk size line: \(sizeLine)")
                }
                if size == 0 { break }
                body += try await read(size)
                _ = try await readLine()
            }
            while try await !readLine().isEmpty {}
            return (head, body)
        }
        while try await fill() {}
        defer { buffered = [] }
        return (head, buffered)
    }

    /// Reads a line without its CRLF.
    private mutating func readLine() async throws -> String {
        let end = Array("\r\n".utf8)
        while true {
            if let range = buffered.firstRange(of: end) {
                defer { buffered.removeFirst(range.upperBound) }
                return String(decoding: buffered[..<range.lowerBound], as: UTF8.self)
            }
            guard try await fill() else { throw Failure(description: "the connection closed in the middle of a line") }
        }
    }

    /// True when the peer closed the connection and nothing more is buffered.
    mutating func atEnd() async throws -> Bool {
        guard buffered.isEmpty else { return false }
        return try await !fill()
    }

    private mutating func fill() async throws -> Bool {
        guard let chunk = try await inbound.next() else { return false }
        buffered += Array(buffer: chunk)
        return true
    }

    // MARK: WebSocket

    /// The sample key of RFC 6455 §1.3 and the answer it requires.
    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="
    static let sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    /// Asks to upgrade the connection to a WebSocket at `path`.
    func sendWebSocketHandshake(path: String, extraHeaders: String = "") async throws {
        try await write(Array(
            ("GET \(path) HTTP/1.1\r\nHost: app.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(Self.sampleKey)\r\nSec-WebSocket-Version: 13\r\n\(extraHeaders)\r\n").utf8))
    }

    /// Sends one final frame, masked as a client must.
    func sendFrame(opcode: UInt8, _ payload: [UInt8]) async throws {
        var frame: [UInt8] = [0x80 | opcode]
        switch payload.count {
        case ..<126: frame.append(0x80 | UInt8(payload.count))
        case ..<65536: frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default: frame += [0x80 | 127] + (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try await write(frame)
    }

    /// Reads one unmasked frame, as a server sends them.
    mutating func readFrame() async throws -> (opcode: UInt8, payload: [UInt8]) {
        let start = try await read(2)
        guard start[1] & 0x80 == 0 else { throw Failure(description: "a server frame must not be masked") }
        var length = Int(start[1] & 0x7F)
        if length == 126 {
            length = try await read(2).reduce(0) { $0 << 8 | Int($1) }
        } else if length == 127 {
            length = try await read(8).reduce(0) { $0 << 8 | Int($1) }
        }
        return (start[0] & 0x0F, try await read(length))
    }
}
