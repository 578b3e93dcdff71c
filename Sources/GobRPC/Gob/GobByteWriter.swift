/// Appends gob's primitive encodings to a byte buffer.
struct GobByteWriter {
    var bytes: [UInt8] = []

    /// Below 0x80 one byte; otherwise the negated byte count, then the big-endian bytes, minimal.
    mutating func writeUInt(_ value: UInt64) {
        if value < 0x80 {
            bytes.append(UInt8(value))
            return
        }
        let count = (64 - value.leadingZeroBitCount + 7) / 8
        bytes.append(UInt8(truncatingIfNeeded: -count))
        for index in stride(from: count - 1, through: 0, by: -1) {
            bytes.append(UInt8(truncatingIfNeeded: value >> (UInt64(index) * 8)))
        }
    }

    /// Zig-zag style: the low bit says whether the rest is complemented.
    mutating func writeInt(_ value: Int64) {
        let bits = value < 0 ? (UInt64(bitPattern: ~value) << 1) | 1 : UInt64(bitPattern: value) << 1
        writeUInt(bits)
    }

    /// The IEEE bits with their bytes reversed, so small exponents give short encodings.
    mutating func writeFloat(_ value: Double) {
        writeUInt(value.bitPattern.byteSwapped)
    }

    mutating func writeByteString(_ value: [UInt8]) {
        writeUInt(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func writeString(_ value: String) {
        writeByteString(Array(value.utf8))
    }

    /// `count` then the bytes, the framing of a message and of an interface's value.
    mutating func writeDelimited(_ value: [UInt8]) {
        writeByteString(value)
    }
}
