/// Supplies the length-delimited messages of one gob stream, in order.
protocol GobMessageSource {
    /// The next message's bytes (without the length prefix), or nil at a clean end of stream.
    mutating func nextMessage() throws -> [UInt8]?
}

/// The messages of a gob stream held in memory, e.g. a captured connection.
struct GobByteStream: GobMessageSource {
    private var reader: GobByteReader

    init(_ bytes: [UInt8]) { reader = GobByteReader(bytes) }

    var isAtEnd: Bool { reader.isAtEnd }

    mutating func nextMessage() throws -> [UInt8]? {
        if reader.isAtEnd { return nil }
        do throws(GobError) {
            let length = try reader.readLength("message")
            guard length > 0 else { throw GobError("empty message") }
            return try reader.readBytes(length)
        } catch {
            throw error.prefixed("reading message framing")
        }
    }
}
