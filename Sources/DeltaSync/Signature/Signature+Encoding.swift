/// The signature's binary form (docs/FORMAT.md, "Signature"):
///
///     "FPSG" · version 1 · varint blockSize · u8 strongHashLength · varint fileSize · fileDigest[16]
///     · per block: weak u32 LE · strong (strongHashLength bytes, LE)
extension Signature {
    static let magic: [UInt8] = Array("FPSG".utf8)
    static let version: UInt8 = 1

    /// The encoded size in bytes, without encoding.
    public var encodedSize: Int {
        var header = ByteWriter()
        writeHeader(to: &header)
        return header.bytes.count + blockCount * (4 + parameters.strongHashLength)
    }

    /// The binary form.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: encodedSize)
        writeHeader(to: &writer)
        for index in 0..<blockCount {
            writer.littleEndian(UInt64(weakSums[index]), count: 4)
            writer.littleEndian(strongHashes[index], count: parameters.strongHashLength)
        }
        return writer.bytes
    }

    private func writeHeader(to writer: inout ByteWriter) {
        writer.bytes(Self.magic)
        writer.byte(Self.version)
        writer.varint(parameters.blockSize)
        writer.byte(UInt8(parameters.strongHashLength))
        writer.varint(fileSize)
        writer.bytes(fileDigest.bytes)
    }

    /// Decodes a signature, checking every field; `maximumFileSize` bounds what a hostile header may claim.
    public init(decoding bytes: [UInt8], maximumFileSize: Int = 1 << 44) throws(DeltaSyncError) {
        try self.init(decoding: MemorySource(bytes), maximumFileSize: maximumFileSize)
    }

    /// Decodes a signature from a stream; the stream must end where the signature does.
    public init(decoding source: some ByteSource, maximumFileSize: Int = 1 << 44) throws(DeltaSyncError) {
        var reader = ByteReader(source, what: "signature")
        try reader.header(magic: Self.magic, version: Self.version, hint: "make one with `fastpush signature OLD SIG`")
        let blockSize = try reader.count("block size", limit: SignatureParameters.maximumBlockSize)
        let strongLength = Int(try reader.byte("strong hash length"))
        let parameters: SignatureParameters
        do throws(DeltaSyncError) {
            parameters = try SignatureParameters(blockSize: blockSize, strongHashLength: strongLength)
        } catch {
            throw reader.corrupt(error.message)
        }
        let fileSize = try reader.count("file size", limit: maximumFileSize)
        guard let digest = FileDigest(bytes: try reader.bytes("file digest", count: 16)) else {
            throw reader.truncated("file digest")
        }
        let blockCount = (fileSize + blockSize - 1) / blockSize
        // Grow with the data actually present, so a header that lies about the size cannot make us
        // allocate for blocks that never arrive.
        var weakSums: [UInt32] = []
        var strongHashes: [UInt64] = []
        weakSums.reserveCapacity(min(blockCount, 1 << 16))
        strongHashes.reserveCapacity(min(blockCount, 1 << 16))
        // Blocks are read 4,096 at a time, so a signature of a large file is not decoded byte by byte.
        let recordLength = 4 + strongLength
        let records = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096 * recordLength, alignment: 8)
        defer { records.deallocate() }
        var remaining = blockCount
        while remaining > 0 {
            let count = min(remaining, 4096)
            try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: records[..<(count * recordLength)]), "block checksums")
            for record in 0..<count {
                var strong: UInt64 = 0
                for index in 0..<strongLength {
                    strong |= UInt64(records[record * recordLength + 4 + index]) << (8 * UInt64(index))
                }
                weakSums.append(UInt32(littleEndian: records.loadUnaligned(fromByteOffset: record * recordLength, as: UInt32.self)))
                strongHashes.append(strong)
            }
            remaining -= count
        }
        guard try reader.atEnd() else { throw reader.corrupt("unexpected bytes after the last block") }
        self.init(
            parameters: parameters, fileSize: fileSize, fileDigest: digest, weakSums: weakSums,
            strongHashes: strongHashes)
    }
}
