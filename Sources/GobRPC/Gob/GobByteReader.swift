/// Reads gob's primitive encodings from one message. Every length it returns is checked against
/// the bytes that remain, so a forged length can never make a caller allocate or read past the end.
struct GobByteReader {
    private let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset >= bytes.count }

    mutating func readByte() throws(GobError) -> UInt8 {
        guard offset < bytes.count else { throw GobError("unexpected end of data") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt() throws(GobError) -> UInt64 {
        let first = try readByte()
        if first < 0x80 { return UInt64(first) }
        let count = 256 - Int(first)
        guard count <= 8 else { throw GobError("invalid uint prefix 0x\(String(first, radix: 16)) (\(count) bytes)") }
        guard count <= remaining else {
            throw GobError("uint needs \(count) bytes but only \(remaining) remain")
        }
        var value: UInt64 = 0
        for _ in 0..<count { value = value << 8 | UInt64(bytes[offset]); offset += 1 }
        return value
    }

    mutating func readInt() throws(GobError) -> Int64 {
        let bits = try readUInt()
        return bits & 1 == 1 ? ~Int64(bitPattern: bits >> 1) : Int64(bitPattern: bits >> 1)
    }

    mutating func readFloat() throws(GobError) -> Double {
        Double(bitPattern: try readUInt().byteSwapped)
    }

    /// A length prefix, rejected when it claims more bytes than remain.
    mutating func readLength(_ what: String) throws(GobError) -> Int {
        let length = try readUInt()
        guard length <= UInt64(remaining) else {
            throw GobError("\(what) length \(length) exceeds the \(remaining) bytes that remain")
        }
        return Int(length)
    }

    /// An element count where every element takes at least `minimumSize` bytes.
    mutating func readCount(_ what: String, minimumSize: Int = 1) throws(GobError) -> Int {
        let count = try readUInt()
        guard count <= UInt64(remaining / minimumSize) else {
            throw GobError("\(what) count \(count) is more than the \(remaining) remaining bytes can hold")
        }
        return Int(count)
    }

    mutating func readBytes(_ count: Int) throws(GobError) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw GobError("need \(count) bytes but only \(remaining) remain")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func readByteString(_ what: String) throws(GobError) -> [UInt8] {
        try readBytes(try readLength(what))
    }

    mutating func readString(_ what: String) throws(GobError) -> String {
        String(decoding: try readByteString(what), as: UTF8.self)
    }
}
