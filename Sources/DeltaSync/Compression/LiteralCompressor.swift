internal import CZlib

/// Deflates literal data for deltas: raw deflate (no zlib header or checksum; the whole-file digest
/// covers integrity), each literal on its own, primed with the bytes of the new file that precede it.
///
/// The receiver has rebuilt those preceding bytes by the time it reaches the literal, so both sides can
/// use them as the preset dictionary: a changed line compresses against the code just above it.
final class LiteralCompressor {
    /// zlib keeps a pointer back to its stream, so the stream lives at a fixed heap address.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var output: [UInt8] = []

    init() {
        stream.initialize(to: z_stream())
        let status = deflateInit2_(
            stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "zlib deflateInit2 failed: \(status)")
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// The deflated form of `literal`, or `nil` when it would not be smaller.
    func compress(_ literal: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer) -> [UInt8]? {
        guard Compressibility.isWorthCompressing(literal) else { return nil }
        deflateReset(stream)
        // Large literals come from files that barely match; level 1 is six times faster there.
        deflateParams(stream, literal.count > 256 * 1024 ? 1 : Z_DEFAULT_COMPRESSION, Z_DEFAULT_STRATEGY)
        if dictionary.count > 0 {
            deflateSetDictionary(
                stream, dictionary.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count))
        }
        let bound = Int(deflateBound(stream, uLong(literal.count)))
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        let produced = output.withUnsafeMutableBytes { out -> Int in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: literal.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(literal.count)
            stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(out.count)
            let status = deflate(stream, Z_FINISH)
            precondition(status == Z_STREAM_END, "zlib deflate with a sufficient buffer failed: \(status)")
            return out.count - Int(stream.pointee.avail_out)
        }
        return produced < literal.count ? Array(output[..<produced]) : nil
    }
}
