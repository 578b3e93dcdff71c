/// The checksums of a basis file, block by block: what a delta is computed against without the basis itself.
///
/// Each block of ``SignatureParameters/blockSize`` bytes (the last may be shorter) has a 32-bit weak sum
/// (``RollingChecksum``) and the low ``SignatureParameters/strongHashLength`` bytes of its XXH3-64
/// (``BlockHash``). The whole file's XXH3-128 travels along so a patch can prove it rebuilt the right file.
///
/// Memory: 12 bytes per block (about 768 KiB for 1 GiB at the default 16 KiB blocks); building one reads
/// the file once, 1 MiB at a time.
public struct Signature: Sendable {
    /// The block size and strong-hash length.
    public let parameters: SignatureParameters
    /// The basis file's size in bytes.
    public let fileSize: Int
    /// The basis file's XXH3-128.
    public let fileDigest: FileDigest
    /// Weak sums, one per block.
    package let weakSums: [UInt32]
    /// Strong hashes, one per block, already reduced to ``SignatureParameters/strongHashLength`` bytes.
    package let strongHashes: [UInt64]

    package init(
        parameters: SignatureParameters, fileSize: Int, fileDigest: FileDigest, weakSums: [UInt32],
        strongHashes: [UInt64]
    ) {
        self.parameters = parameters
        self.fileSize = fileSize
        self.fileDigest = fileDigest
        self.weakSums = weakSums
        self.strongHashes = strongHashes
    }

    /// The number of blocks, counting a shorter last block.
    public var blockCount: Int { weakSums.count }

    /// The number of bytes in block `index`.
    public func length(ofBlock index: Int) -> Int {
        min(parameters.blockSize, fileSize - index * parameters.blockSize)
    }

    /// True when the last block is shorter than the block size (it can only match at the end of a file).
    public var hasShortLastBlock: Bool { fileSize % parameters.blockSize != 0 }

    /// The signature of the file at `path`, with parameters chosen from its size unless given.
    public init(file path: String, parameters: SignatureParameters? = nil) throws(DeltaSyncError) {
        let reader = try FileReader(path: path)
        try self.init(reading: reader, parameters: parameters ?? .forFile(size: reader.count))
    }

    /// The signature of `bytes`, with parameters chosen from their size unless given.
    public init(bytes: [UInt8], parameters: SignatureParameters? = nil) {
        do {
            try self.init(reading: MemorySource(bytes), parameters: parameters ?? .forFile(size: bytes.count))
        } catch {
            preconditionFailure("reading memory cannot fail: \(error)")
        }
    }

    /// The signature of everything `source` holds, read once in pieces of 1 MiB.
    public init(reading source: some ByteSource, parameters: SignatureParameters) throws(DeltaSyncError) {
        var source = source
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var digest = FileDigest.Hasher()
        var builder = SignatureBuilder(parameters: parameters)
        try source.readAll(through: buffer) { piece in
            digest.update(piece)
            builder.update(piece)
        }
        self = builder.finalize(fileDigest: digest.finalize())
    }
}
