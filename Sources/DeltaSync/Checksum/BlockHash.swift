internal import CXXHash

/// The strong hash of one block: XXH3-64 with seed 0. Signatures keep only its low bytes, as many as
/// the file's size calls for (see ``SignatureParameters``).
public enum BlockHash {
    /// XXH3-64 of `bytes`.
    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        fastpush_xxh3_64(bytes.baseAddress, bytes.count)
    }

    /// The mask that keeps the low `byteCount` bytes of a hash.
    @inline(__always)
    public static func mask(byteCount: Int) -> UInt64 {
        byteCount >= 8 ? .max : (UInt64(1) << (8 * UInt64(byteCount))) - 1
    }
}
