/// Applying deltas: rebuild a file from its basis and a delta, prove it is the file the delta describes,
/// and only then let anyone see it.
///
/// Every field of the delta is checked before it is used (block numbers inside the basis, literal lengths
/// within limits, compressed data inflating to exactly its declared length), and the rebuilt bytes must
/// have the size and XXH3-128 the delta ends with. The file forms of ``apply(basisFile:deltaFile:outputFile:mode:maximumTargetSize:)``
/// write to a temporary file and rename it into place only after that check, so a bad delta, a wrong
/// basis or a full disk leaves the old file exactly as it was.
public enum Patch {
    /// Rebuilds into `sink` from `basis` and the delta read from `delta`.
    ///
    /// The sink receives bytes as they are rebuilt, before the final check: on a thrown error its content
    /// must be discarded (the file forms do this). `primer` is the dictionary the delta was made with
    /// (``Delta/make(signature:from:to:compressLiterals:primer:)``).
    public static func apply<Basis: RandomAccessByteSource, DeltaSource: ByteSource, Sink: ByteSink>(
        basis: Basis, delta: DeltaSource, to sink: inout Sink, maximumTargetSize: Int = .max, primer: [UInt8] = []
    ) throws(DeltaSyncError) -> DeltaSummary {
        var reader = ByteReader(delta, what: "delta")
        try reader.header(
            magic: DeltaFormat.magic, version: DeltaFormat.version, hint: "make one with `fastpush delta SIG NEW DELTA`")
        let blockSize = try reader.count("block size", limit: SignatureParameters.maximumBlockSize)
        guard blockSize >= SignatureParameters.minimumBlockSize else { throw reader.corrupt("block size \(blockSize) is too small") }
        let basisSize = try reader.count("basis size", limit: Int.max)
        _ = try reader.bytes("basis digest", count: 16)
        guard basisSize == basis.count else {
            throw DeltaSyncError(
                .basisMismatch,
                "the delta was made for a basis of \(basisSize) bytes, but this basis has \(basis.count) bytes: make the signature from this file again")
        }
        let basisBlocks = (basisSize + blockSize - 1) / blockSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: DeltaFormat.maximumLiteralLength, alignment: 64)
        defer { buffer.deallocate() }
        let decompressor = LiteralDecompressor()
        var history = OutputHistory(primer: primer)
        var digest = FileDigest.Hasher()
        var summary = DeltaSummary()
        var produced = 0
        var nextExpectedBlock = 0

        func emit(_ bytes: UnsafeRawBufferPointer) throws(DeltaSyncError) {
            guard bytes.count <= maximumTargetSize - produced else {
                throw DeltaSyncError(.limitExceeded, "the rebuilt file would exceed the limit of \(maximumTargetSize) bytes")
            }
            try sink.write(bytes)
            digest.update(bytes)
            history.append(bytes)
            produced += bytes.count
        }

        while true {
            let tag = try reader.byte("operation")
            switch tag {
            case DeltaFormat.copy:
                let offset = try reader.signedVarint("copy start")
                let count = try reader.count("copy length", limit: basisBlocks)
                let (first, overflow) = Int64(nextExpectedBlock).addingReportingOverflow(offset)
                guard !overflow, first >= 0, count >= 1, Int(first) <= basisBlocks - count else {
                    throw reader.corrupt("a copy of \(count) blocks from block \(offset) after the previous copy is outside the basis's \(basisBlocks) blocks")
                }
                let start = Int(first) * blockSize
                let stop = min((Int(first) + count) * blockSize, basisSize)
                var at = start
                while at < stop {
                    let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, stop - at)])
                    try basis.read(at: at, into: piece)
                    try emit(UnsafeRawBufferPointer(piece))
                    at += piece.count
                }
                nextExpectedBlock = Int(first) + count
                summary.copiedBytes += stop - start
                summary.copyOperations += 1
            case DeltaFormat.literal:
                let length = try reader.count("literal length", limit: DeltaFormat.maximumLiteralLength)
                guard length > 0 else { throw reader.corrupt("empty literal") }
                let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[..<length])
                try reader.read(into: piece, "literal")
                try emit(UnsafeRawBufferPointer(piece))
                summary.literalBytes += length
                summary.literalWireBytes += length
                summary.literalOperations += 1
            case DeltaFormat.deflatedLiteral:
                let length = try reader.count("literal length", limit: DeltaFormat.maximumLiteralLength)
                let compressedLength = try reader.count("compressed length", limit: DeltaFormat.maximumLiteralLength)
                guard length > 0, compressedLength > 0, compressedLength < length else {
                    throw reader.corrupt("a compressed literal of \(compressedLength) bytes cannot hold \(length) bytes")
                }
                let compressed = try reader.bytes("compressed literal", count: compressedLength)
                let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[..<length])
                try history.withWindow { (dictionary) throws(DeltaSyncError) in
                    try compressed.withBytes { (input) throws(DeltaSyncError) in
                        try decompressor.decompress(input, dictionary: dictionary, into: piece)
                    }
                }
                try emit(UnsafeRawBufferPointer(piece))
                summary.literalBytes += length
                summary.literalWireBytes += compressedLength
                summary.literalOperations += 1
            case DeltaFormat.end:
                let targetSize = try reader.count("target size", limit: Int.max)
                guard let expected = FileDigest(bytes: try reader.bytes("target digest", count: 16)) else {
                    throw reader.truncated("target digest")
                }
                guard try reader.atEnd() else { throw reader.corrupt("unexpected bytes after the end of the delta") }
                let actual = digest.finalize()
                guard targetSize == produced, actual == expected else {
                    throw DeltaSyncError(
                        .digestMismatch,
                        "the rebuilt file is not the one the delta describes (expected \(targetSize) bytes with XXH3-128 \(expected.short)…, got \(produced) bytes with \(actual.short)…): the basis differs from the one the signature was made from, or a block matched by chance; make the signature again with full strong hashes (--strong-bytes 8)")
                }
                summary.targetSize = produced
                summary.targetDigest = actual
                summary.encodedSize = reader.offset
                return summary
            default:
                throw reader.corrupt("unknown operation 0x\(String(tag, radix: 16))")
            }
        }
    }

    /// Rebuilds a file in memory.
    public static func apply(basis: [UInt8], delta: [UInt8], maximumTargetSize: Int = .max) throws(DeltaSyncError)
        -> [UInt8]
    {
        var sink = MemorySink()
        _ = try apply(basis: MemorySource(basis), delta: MemorySource(delta), to: &sink, maximumTargetSize: maximumTargetSize)
        return sink.bytes
    }

    /// Rebuilds `basisFile` + `deltaFile` into `outputFile`, replacing it atomically once verified.
    ///
    /// `outputFile` may be `basisFile` itself (an in-place update). The new file gets `mode`, or else the
    /// mode of the file it replaces, or else the basis's mode.
    public static func apply(
        basisFile: String, deltaFile: String, outputFile: String, mode: UInt32? = nil, maximumTargetSize: Int = .max
    ) throws(DeltaSyncError) -> DeltaSummary {
        try apply(
            basisFile: basisFile, delta: try FileReader(path: deltaFile), outputFile: outputFile, mode: mode,
            maximumTargetSize: maximumTargetSize)
    }

    /// Rebuilds `basisFile` + a delta from any source into `outputFile`, replacing it atomically once verified.
    public static func apply(
        basisFile: String, delta: some ByteSource, outputFile: String, mode: UInt32? = nil,
        maximumTargetSize: Int = .max
    ) throws(DeltaSyncError) -> DeltaSummary {
        let basis = try FileReader(path: basisFile)
        let existing = try SystemCall.lstatIfPresent(outputFile)
        let finalMode = mode ?? existing.map { UInt32($0.st_mode & 0o7777) } ?? basis.mode
        var output = try AtomicFileWriter(path: outputFile, mode: finalMode)
        do throws(DeltaSyncError) {
            let summary = try apply(basis: basis, delta: delta, to: &output, maximumTargetSize: maximumTargetSize)
            try output.commit()
            return summary
        } catch {
            output.discard()
            throw error
        }
    }
}
