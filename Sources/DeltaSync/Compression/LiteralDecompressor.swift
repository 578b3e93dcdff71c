internal import CZlib

/// Inflates one deflated literal of a delta (see ``LiteralCompressor``), refusing any stream that would
/// produce more or fewer bytes than the literal declares or that has bytes left over.
final class LiteralDecompressor {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init() {
        stream.initialize(to: z_stream())
        let status = inflateInit2_(stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "zlib inflateInit2 failed: \(status)")
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates `compressed` into all of `output`, which has exactly the declared raw length.
    func decompress(
        _ compressed: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws(DeltaSyncError) {
        inflateReset(stream)
        if dictionary.count > 0 {
            inflateSetDictionary(
                stream, dictionary.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count))
        }
        var spare: UInt8 = 0
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? nil)
        stream.pointee.avail_in = uInt(compressed.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        var status = inflate(stream, Z_FINISH)
        var produced = output.count - Int(stream.pointee.avail_out)
        if status != Z_STREAM_END && produced == output.count {
            // The output is full but the stream has not ended: see whether it holds even one byte more.
            status = withUnsafeMutablePointer(to: &spare) { spare in
                stream.pointee.next_out = spare
                stream.pointee.avail_out = 1
                return inflate(stream, Z_FINISH)
            }
            if stream.pointee.avail_out == 0 {
                throw DeltaSyncError(.corrupt, "a compressed literal inflates beyond its declared \(output.count) bytes")
            }
            produced = output.count
        }
        guard status == Z_STREAM_END else {
            throw DeltaSyncError(.corrupt, "a compressed literal is not a valid deflate stream (zlib status \(status))")
        }
        guard produced == output.count else {
            throw DeltaSyncError(.corrupt, "a compressed literal inflates to \(produced) bytes, not its declared \(output.count)")
        }
        guard stream.pointee.avail_in == 0 else {
            throw DeltaSyncError(.corrupt, "a compressed literal has \(stream.pointee.avail_in) bytes after its end")
        }
    }
}
