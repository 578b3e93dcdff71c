/// Reads the primitives of FastPush's binary formats from any ``ByteSource``, through a buffer.
///
/// Every read is bounds-checked: input that ends early or holds impossible values produces a
/// ``DeltaSyncError`` naming `what` was being read, never a trap or a read past the data.
package struct ByteReader<Source: ByteSource>: ~Copyable {
    private var source: Source
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var exhausted = false
    /// Bytes consumed so far, for messages.
    package private(set) var offset = 0
    /// What is being decoded ("signature", "delta"), for messages.
    package let what: String

    package init(_ source: Source, what: String, bufferSize: Int = 64 * 1024) {
        self.source = source
        self.what = what
        buffer = .allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    package func truncated(_ field: String) -> DeltaSyncError {
        DeltaSyncError(.truncated, "\(what) is truncated: it ends at byte \(offset) inside \(field)")
    }

    package func corrupt(_ detail: String) -> DeltaSyncError {
        DeltaSyncError(.corrupt, "\(what) is corrupt at byte \(offset): \(detail)")
    }

    /// Refills the buffer; returns false at the end of the source.
    private mutating func fill() throws(DeltaSyncError) -> Bool {
        if start < end { return true }
        if exhausted { return false }
        start = 0
        end = try source.read(into: buffer)
        if end == 0 { exhausted = true }
        return end > 0
    }

    /// True when every byte has been consumed.
    package mutating func atEnd() throws(DeltaSyncError) -> Bool { try !fill() }

    package mutating func byte(_ field: String) throws(DeltaSyncError) -> UInt8 {
        guard try fill() else { throw truncated(field) }
        let value = buffer[start]
        start += 1
        offset += 1
        return value
    }

    /// An unsigned LEB128 varint of at most 64 bits in its shortest form.
    package mutating func varint(_ field: String) throws(DeltaSyncError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try self.byte(field)
            if shift == 63 && byte > 1 { throw corrupt("\(field) overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 { throw corrupt("\(field) is not in its shortest form") }
                return value
            }
            shift += 7
        }
    }

    /// A varint that must be an `Int` no larger than `limit`.
    package mutating func count(_ field: String, limit: Int) throws(DeltaSyncError) -> Int {
        let value = try varint(field)
        guard value <= UInt64(limit) else {
            throw DeltaSyncError(.limitExceeded, "\(what) at byte \(offset): \(field) is \(value), above the limit of \(limit)")
        }
        return Int(value)
    }

    package mutating func signedVarint(_ field: String) throws(DeltaSyncError) -> Int64 {
        let raw = try varint(field)
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    package mutating func littleEndian(_ field: String, count: Int) throws(DeltaSyncError) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(try byte(field)) << (8 * UInt64(index)) }
        return value
    }

    /// Fills all of `destination` or throws.
    package mutating func read(into destination: UnsafeMutableRawBufferPointer, _ field: String) throws(DeltaSyncError) {
        var done = 0
        while done < destination.count {
            guard try fill() else { throw truncated(field) }
            let count = min(end - start, destination.count - done)
            (destination.baseAddress! + done).copyMemory(from: buffer.baseAddress! + start, byteCount: count)
            start += count
            done += count
            offset += count
        }
    }

    /// `count` bytes, held as they arrive: a length prefix may lie, and allocating what it claims up front would
    /// let a few bytes of input take gigabytes (found by the push-bundle fuzzer).
    package mutating func bytes(_ field: String, count: Int) throws(DeltaSyncError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(min(count, buffer.count))
        while result.count < count {
            guard try fill() else { throw truncated(field) }
            let chunk = min(end - start, count - result.count)
            result.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<start + chunk]))
            start += chunk
            offset += chunk
        }
        return result
    }

    /// A length-prefixed byte string of at most `limit` bytes.
    package mutating func lengthPrefixed(_ field: String, limit: Int) throws(DeltaSyncError) -> [UInt8] {
        try bytes(field, count: try count("length of \(field)", limit: limit))
    }

    /// Checks the magic number and version that open every FastPush encoding.
    package mutating func header(magic: [UInt8], version: UInt8, hint: String) throws(DeltaSyncError) {
        var found: [UInt8] = []
        for _ in magic.indices {
            guard try fill() else { break }
            found.append(try byte("magic"))
        }
        guard found == magic else {
            throw DeltaSyncError(.corrupt, "this is not a FastPush \(what) (it does not start with \"\(String(decoding: magic, as: UTF8.self))\"); \(hint)")
        }
        let foundVersion = try byte("version")
        guard foundVersion == version else {
            throw DeltaSyncError(.unsupported, "\(what) has format version \(foundVersion); this build reads version \(version): use the same FastPush version on both sides")
        }
    }
}
