@testable import GobRPC

/// A transport that records what the client sends and answers with canned bytes, delivered in
/// small pieces so message framing across reads is exercised.
final class ReplayTransport: RPCTransport, @unchecked Sendable {
    private(set) var sent: [UInt8] = []
    private var incoming: [UInt8]
    private var offset = 0
    private let pieceSize: Int
    private(set) var closed = false

    init(replying incoming: [UInt8], pieceSize: Int = 7) {
        self.incoming = incoming
        self.pieceSize = pieceSize
    }

    func send(_ bytes: [UInt8]) throws {
        if closed { throw RPCError(.connection, method: "", message: "closed") }
        sent += bytes
    }

    func receive(maxCount: Int) throws -> [UInt8] {
        if closed { throw RPCError(.connection, method: "", message: "closed") }
        let count = Swift.min(maxCount, pieceSize, incoming.count - offset)
        defer { offset += count }
        return Array(incoming[offset..<offset + count])
    }

    func close() { closed = true }
}
