/// Splits a transport's byte stream into gob messages. Bytes are read in bounded chunks and a
/// message is only as large as the bytes that actually arrived, so a forged length cannot make
/// the reader allocate memory the peer never sent.
struct TransportMessageSource: GobMessageSource {
    static let chunkSize = 64 * 1024

    let transport: any RPCTransport
    let maxMessageSize: Int
    private var buffer: [UInt8] = []
    private var start = 0

    init(transport: any RPCTransport, maxMessageSize: Int) {
        self.transport = transport
        self.maxMessageSize = maxMessageSize
    }

    mutating func nextMessage() throws -> [UInt8]? {
        guard try fill(1) else { return nil }
        let first = buffer[start]
        let prefixLength = first < 0x80 ? 1 : 1 + 256 - Int(first)
        guard prefixLength <= 9 else { throw GobError("invalid message length prefix 0x\(String(first, radix: 16))") }
        guard try fill(prefixLength) else { throw Self.closed("inside a message length") }
        var prefix = GobByteReader(Array(buffer[start..<start + prefixLength]))
        let length = try prefix.readUInt()
        guard length > 0 else { throw GobError("empty message") }
        guard length <= UInt64(maxMessageSize) else {
            throw GobError("message of \(length) bytes exceeds the limit of \(maxMessageSize)")
        }
        start += prefixLength
        guard try fill(Int(length)) else { throw Self.closed("inside a \(length)-byte message") }
        let message = Array(buffer[start..<start + Int(length)])
        buffer.removeFirst(start + Int(length))
        start = 0
        return message
    }

    /// The peer hung up mid-message: a connection failure, not corrupt data.
    private static func closed(_ place: String) -> RPCError {
        RPCError(.connection, method: "", message: "connection closed \(place)")
    }

    /// Reads until `count` unread bytes are buffered; false if the stream ends first.
    private mutating func fill(_ count: Int) throws -> Bool {
        while buffer.count - start < count {
            let chunk = try transport.receive(maxCount: Self.chunkSize)
            if chunk.isEmpty { return false }
            buffer.append(contentsOf: chunk)
        }
        return true
    }
}
