/// Appends the primitives of FastPush's binary formats (see docs/FORMAT.md) to a byte array.
package struct ByteWriter {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    package mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    package mutating func byte(_ value: UInt8) { bytes.append(value) }

    package mutating func bytes(_ values: some Sequence<UInt8>) { bytes.append(contentsOf: values) }

    package mutating func bytes(_ values: UnsafeRawBufferPointer) { bytes.append(contentsOf: values) }

    /// Unsigned LEB128: seven bits a byte, low group first, high bit set on every byte but the last.
    package mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    package mutating func varint(_ value: Int) {
        precondition(value >= 0, "varint of a negative value")
        varint(UInt64(value))
    }

    /// A signed value as a zigzag varint: 0, -1, 1, -2 … encode as 0, 1, 2, 3 ….
    package mutating func signedVarint(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// The low `count` bytes of `value`, least significant first.
    package mutating func littleEndian(_ value: UInt64, count: Int) {
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    /// A byte string: its length as a varint, then the bytes.
    package mutating func lengthPrefixed(_ values: [UInt8]) {
        varint(values.count)
        bytes.append(contentsOf: values)
    }
}
