import Glibc

/// The block size and strong-hash length of a signature, and the rules that choose them from a file's size.
///
/// **Block size.** A changed region costs about one block of literal data in the delta, and every block
/// costs `4 + s` bytes of signature (weak sum plus `s` strong bytes). For a file of `N` bytes with `E`
/// scattered edits the two add up to about `N·(4+s)/B + E·B`, smallest at `B = √(N·(4+s)/E)`. With
/// `4+s ≈ 8` and a few dozen edits that is about `√N / 2`, so the rule is the power of two nearest
/// `√N / 2`, between 256 bytes and 128 KiB: 8 KiB for 256 MiB, 16 KiB for 1 GiB, 512 bytes for 1 MiB.
/// Powers of two keep offset arithmetic to shifts. Compared with `√N` (rsync's rule) this spends a little
/// more on the signature to halve the literal bytes each edit costs.
///
/// **Strong-hash length.** A block's strong hash is compared when its weak sum matches a window of the new
/// file (about `N·n/2³²` times by chance for `n` blocks) and once per block while a run of matches
/// continues (`n` times). To keep the chance of *any* false match in the file below 2⁻²⁰ the strong hash
/// needs `log₂(n·(1 + N/2³²)) + 20` bits, rounded up to whole bytes, between 3 and 8. A false match is
/// still caught: the rebuilt file's XXH3-128 would differ, and the transfer is retried with all 8 bytes.
public struct SignatureParameters: Hashable, Sendable, CustomStringConvertible {
    /// The smallest block size a signature may use.
    public static let minimumBlockSize = 64
    /// The largest block size a signature may use; also bounds what a matcher must buffer.
    public static let maximumBlockSize = 1 << 20
    /// The strong-hash length that never relies on the whole-file digest to catch a false match.
    public static let fullStrongHashLength = 8

    /// Bytes per block; the last block of a file may be shorter.
    public let blockSize: Int
    /// How many low bytes of each block's XXH3-64 the signature keeps (1 to 8).
    public let strongHashLength: Int

    /// Parameters chosen explicitly; throws if either is out of range.
    public init(blockSize: Int, strongHashLength: Int) throws(DeltaSyncError) {
        guard (Self.minimumBlockSize...Self.maximumBlockSize).contains(blockSize) else {
            throw DeltaSyncError(
                .invalidArgument,
                "block size \(blockSize) is out of range: use \(Self.minimumBlockSize) to \(Self.maximumBlockSize) bytes")
        }
        guard (1...Self.fullStrongHashLength).contains(strongHashLength) else {
            throw DeltaSyncError(.invalidArgument, "strong hash length \(strongHashLength) is out of range: use 1 to 8 bytes")
        }
        self.blockSize = blockSize
        self.strongHashLength = strongHashLength
    }

    private init(checkedBlockSize: Int, strongHashLength: Int) {
        blockSize = checkedBlockSize
        self.strongHashLength = strongHashLength
    }

    /// The parameters the rules above choose for a file of `size` bytes.
    public static func forFile(size: Int) -> SignatureParameters {
        let blockSize = defaultBlockSize(forFileSize: size)
        return SignatureParameters(
            checkedBlockSize: blockSize,
            strongHashLength: defaultStrongHashLength(fileSize: size, blockSize: blockSize))
    }

    /// The parameters of a signature that never crosses the network: the one a client keeps of content it sent,
    /// to make that content's next delta without asking for a signature. Its size costs local disk only, so its
    /// blocks are a sixteenth of ``forFile(size:)``'s, at least 256 bytes: an edit costs a sixteenth of the
    /// literal bytes (512 bytes instead of 8 KiB in a file of 256 MiB) for a signature of 1% to 3.5% of the file.
    public static func forKeptSignature(size: Int) -> SignatureParameters {
        let blockSize = max(defaultBlockSize(forFileSize: size) / 16, 256)
        return SignatureParameters(
            checkedBlockSize: blockSize,
            strongHashLength: defaultStrongHashLength(fileSize: size, blockSize: blockSize))
    }

    /// The same block size with full 8-byte strong hashes: the retry after a whole-file digest mismatch.
    public var withFullStrongHashes: SignatureParameters {
        SignatureParameters(checkedBlockSize: blockSize, strongHashLength: Self.fullStrongHashLength)
    }

    /// The power of two nearest `√size / 2`, clamped to 256 bytes … 128 KiB.
    public static func defaultBlockSize(forFileSize size: Int) -> Int {
        guard size > 1 else { return 256 }
        let exponent = Int((log2(Double(size)) / 2).rounded()) - 1
        return 1 << min(max(exponent, 8), 17)
    }

    /// `⌈(log₂(n·(1 + N/2³²)) + 20) / 8⌉` bytes, clamped to 3 … 8.
    public static func defaultStrongHashLength(fileSize: Int, blockSize: Int) -> Int {
        let blocks = Double(max(1, (fileSize + blockSize - 1) / blockSize))
        let comparisons = blocks * (1 + Double(fileSize) / 4_294_967_296)
        let bits = log2(comparisons) + 20
        return min(max(Int((bits / 8).rounded(.up)), 3), fullStrongHashLength)
    }

    public var description: String { "block size \(blockSize), \(strongHashLength)-byte strong hashes" }
}
