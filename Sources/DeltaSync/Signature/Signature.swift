import Dispatch

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
    ///
    /// A large file is read and hashed by every processor at once (``init(file:parameters:threads:)``).
    public init(file path: String, parameters: SignatureParameters? = nil) throws(DeltaSyncError) {
        try self.init(file: path, parameters: parameters, threads: Parallel.processorCount)
    }

    /// The same on at most `threads` threads; the signature does not depend on their number.
    ///
    /// From 4 MiB on, the file is read in rounds of ``piecesPerThread`` pieces of about 256 KiB per thread:
    /// each thread takes the round's next piece, reads it at its offset and hashes its blocks while they are
    /// still in its cache, and the whole-file digest of a round runs in the background during the next one.
    /// The file ends, for the signature, where a piece first comes back short.
    init(file path: String, parameters: SignatureParameters?, threads: Int) throws(DeltaSyncError) {
        let reader = try FileReader(path: path)
        let parameters = parameters ?? .forFile(size: reader.count)
        guard threads > 1 && reader.count >= Self.parallelMinimum else {
            try self.init(reading: reader, parameters: parameters)
            return
        }
        let blockSize = parameters.blockSize
        let mask = BlockHash.mask(byteCount: parameters.strongHashLength)
        let piece = Self.pieceLength(blockSize: blockSize)
        let blocksPerPiece = piece / blockSize
        let pieces = threads * Self.piecesPerThread
        let round = piece * pieces
        // Two buffers: one is read and hashed while the other's digest finishes.
        let buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: round, alignment: 64) }
        let digest = BackgroundDigest()
        defer {
            digest.wait()
            for buffer in buffers { buffer.deallocate() }
        }
        var weakSums: [UInt32] = []
        var strongHashes: [UInt64] = []
        var size = 0
        for roundIndex in 0... {
            let buffer = buffers[roundIndex % 2]
            let first = weakSums.count
            weakSums.append(contentsOf: repeatElement(0, count: blocksPerPiece * pieces))
            strongHashes.append(contentsOf: repeatElement(0, count: blocksPerPiece * pieces))
            // Each thread takes the next piece when it finishes one: a thread the scheduler puts aside on a busy
            // machine holds up the round by at most the piece it has, not by a fixed share of the round.
            let read = weakSums.withUnsafeMutableBufferPointer { weakSums in
                strongHashes.withUnsafeMutableBufferPointer { strongHashes in
                    nonisolated(unsafe) let weakSums = weakSums
                    nonisolated(unsafe) let strongHashes = strongHashes
                    nonisolated(unsafe) let reader = reader
                    nonisolated(unsafe) let buffer = buffer
                    let offset = size
                    return Parallel.map(pieces, threads: threads) { index -> Result<Int, DeltaSyncError> in
                        let bytes = UnsafeMutableRawBufferPointer(
                            rebasing: buffer[(index * piece)..<((index + 1) * piece)])
                        let length: Int
                        do throws(DeltaSyncError) {
                            length = try reader.readAvailable(at: offset + index * piece, into: bytes)
                        } catch {
                            return .failure(error)
                        }
                        Self.hashBlocks(
                            of: UnsafeRawBufferPointer(rebasing: bytes[..<length]), blockSize: blockSize, mask: mask,
                            weakSums: weakSums.baseAddress! + first + index * blocksPerPiece,
                            strongHashes: strongHashes.baseAddress! + first + index * blocksPerPiece)
                        return .success(length)
                    }
                }
            }
            let pieceLengths = try read.map { (result) throws(DeltaSyncError) in try result.get() }
            // The pieces count up to the first short one: the file ended there (or changed while being read).
            var length = 0
            for index in 0..<pieces {
                length += pieceLengths[index]
                if pieceLengths[index] < piece { break }
            }
            weakSums.removeLast(weakSums.count - first - (length + blockSize - 1) / blockSize)
            strongHashes.removeLast(strongHashes.count - weakSums.count)
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[..<length]), inBackground: true)
            size += length
            if length < round { break }
        }
        self.init(
            parameters: parameters, fileSize: size, fileDigest: digest.finalize(), weakSums: weakSums,
            strongHashes: strongHashes)
    }

    /// Files from this size on are hashed in parallel; below it, thread hops cost more than they save.
    static let parallelMinimum = 4 << 20

    /// Pieces each thread reads and hashes in a round: enough that the threads' start and end in each round
    /// cost little next to the hashing.
    static let piecesPerThread = 4

    /// The bytes read and hashed at a time: about 256 KiB, so that a piece is still in the second-level cache
    /// when it is hashed, and a whole number of blocks.
    static func pieceLength(blockSize: Int) -> Int {
        max(blockSize, (256 << 10) / blockSize * blockSize)
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

    /// Writes the weak sum and masked strong hash of each block of `data` (the last may be short).
    private static func hashBlocks(
        of data: UnsafeRawBufferPointer, blockSize: Int, mask: UInt64, weakSums: UnsafeMutablePointer<UInt32>,
        strongHashes: UnsafeMutablePointer<UInt64>
    ) {
        var offset = 0
        var block = 0
        while offset < data.count {
            let bytes = UnsafeRawBufferPointer(rebasing: data[offset..<min(offset + blockSize, data.count)])
            (weakSums[block], strongHashes[block]) = SignatureBuilder.checksums(of: bytes, mask: mask)
            offset += blockSize
            block += 1
        }
    }
}
