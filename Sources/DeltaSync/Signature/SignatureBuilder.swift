/// Computes a ``Signature`` from bytes that arrive in pieces of any size, block by block as they come: what
/// ``Signature/init(reading:parameters:)`` does for a whole source, and what a ``TreeScanner`` does beside hashing,
/// so that a file read to hash it need not be read again to sign it.
///
/// Memory: the weak sum and strong hash of each complete block, and at most one incomplete block.
struct SignatureBuilder {
    let parameters: SignatureParameters
    private let mask: UInt64
    private var weakSums: [UInt32] = []
    private var strongHashes: [UInt64] = []
    /// The start of a block whose end has not arrived yet.
    private var partialBlock: [UInt8] = []
    private var size = 0

    /// A builder for content of about `expectedSize` bytes (a hint for reserving memory, not a limit).
    init(parameters: SignatureParameters, expectedSize: Int = 0) {
        self.parameters = parameters
        mask = BlockHash.mask(byteCount: parameters.strongHashLength)
        let blocks = min((max(expectedSize, 0) + parameters.blockSize - 1) / parameters.blockSize, 1 << 16)
        weakSums.reserveCapacity(blocks)
        strongHashes.reserveCapacity(blocks)
    }

    /// Feeds the next `bytes` of the content.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let blockSize = parameters.blockSize
        size += bytes.count
        var rest = bytes
        if !partialBlock.isEmpty {
            let taken = min(blockSize - partialBlock.count, rest.count)
            partialBlock.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<taken]))
            rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
            guard partialBlock.count == blockSize else { return }
            partialBlock.withUnsafeBytes { appendBlock($0) }
            partialBlock.removeAll(keepingCapacity: true)
        }
        while rest.count >= blockSize {
            appendBlock(UnsafeRawBufferPointer(rebasing: rest[..<blockSize]))
            rest = UnsafeRawBufferPointer(rebasing: rest[blockSize...])
        }
        if !rest.isEmpty { partialBlock.append(contentsOf: rest) }
    }

    /// The signature of everything fed, whose XXH3-128 (computed by the caller, who reads the content) is
    /// `fileDigest`; the last block may be shorter than the others.
    consuming func finalize(fileDigest: FileDigest) -> Signature {
        if !partialBlock.isEmpty { partialBlock.withUnsafeBytes { appendBlock($0) } }
        return Signature(
            parameters: parameters, fileSize: size, fileDigest: fileDigest, weakSums: weakSums,
            strongHashes: strongHashes)
    }

    private mutating func appendBlock(_ block: UnsafeRawBufferPointer) {
        let (weak, strong) = Self.checksums(of: block, mask: mask)
        weakSums.append(weak)
        strongHashes.append(strong)
    }

    /// A block's weak sum and its strong hash reduced by `mask` (``BlockHash/mask(byteCount:)``): what a signature
    /// records of each block, however it is read.
    @inline(__always)
    static func checksums(of block: UnsafeRawBufferPointer, mask: UInt64) -> (weak: UInt32, strong: UInt64) {
        (RollingChecksum.weak(block), BlockHash.hash(block) & mask)
    }
}
