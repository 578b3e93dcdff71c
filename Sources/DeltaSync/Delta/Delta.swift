/// Making deltas: the instructions that turn a basis file, known only by its ``Signature``, into a new file.
///
/// A delta is a stream of copy runs (blocks of the basis) and literal runs (new bytes, deflated when that
/// pays), closed by the new file's size and XXH3-128; docs/FORMAT.md describes it byte by byte.
public enum Delta {
    /// Computes the delta from `signature`'s basis to everything `source` holds, writing it to `sink`.
    ///
    /// - Parameters:
    ///   - compressLiterals: deflate literal runs that look compressible (on by default).
    ///   - primer: bytes that stand before the new file's first byte as deflate's dictionary: a push bundle's
    ///     shared dictionary (docs/FORMAT.md, "Push bundle"); the patch must be given the same.
    /// - Returns: what the delta holds, and the sink after writing.
    public static func make<Source: ByteSource, Sink: ByteSink>(
        signature: Signature, from source: Source, to sink: Sink, compressLiterals: Bool = true, primer: [UInt8] = []
    ) throws(DeltaSyncError) -> (summary: DeltaSummary, sink: Sink) {
        var matcher = BlockMatcher(
            signature: signature, source: source, sink: sink, compress: compressLiterals, primer: primer)
        let (summary, sink) = try matcher.run()
        return (summary, sink)
    }

    /// The delta from `signature`'s basis to `bytes`, in memory.
    public static func make(signature: Signature, bytes: [UInt8], compressLiterals: Bool = true) -> (
        delta: [UInt8], summary: DeltaSummary
    ) {
        do {
            let (summary, sink) = try make(
                signature: signature, from: MemorySource(bytes), to: MemorySink(), compressLiterals: compressLiterals)
            return (sink.bytes, summary)
        } catch {
            preconditionFailure("a delta between byte arrays cannot fail: \(error)")
        }
    }

    /// Computes the delta from `signature`'s basis to the file at `newFile` and writes it to `deltaFile`
    /// (atomically: on failure no delta file is left; not flushed to disk, since a delta is verified
    /// when applied and can be made again).
    public static func make(signature: Signature, newFile: String, deltaFile: String, compressLiterals: Bool = true)
        throws(DeltaSyncError) -> DeltaSummary
    {
        let source = try FileReader(path: newFile)
        let output = try AtomicFileWriter(path: deltaFile, durable: false)
        let (summary, _) = try make(signature: signature, from: source, to: output, compressLiterals: compressLiterals)
        try output.commit()
        return summary
    }

    /// The basis size a delta was made for, read from its header: 0 for a delta that rebuilds a file from
    /// nothing (a whole upload).
    public static func basisSize(of delta: [UInt8]) throws(DeltaSyncError) -> Int {
        var reader = ByteReader(MemorySource(delta), what: "delta", bufferSize: 64)
        try reader.header(
            magic: DeltaFormat.magic, version: DeltaFormat.version, hint: "make one with `fastpush delta SIG NEW DELTA`")
        _ = try reader.count("block size", limit: SignatureParameters.maximumBlockSize)
        return try reader.count("basis size", limit: Int.max)
    }

    /// The size of the file a delta rebuilds, as its END operation declares it (docs/FORMAT.md): found by
    /// stepping over the operations without rebuilding anything, for messages about a file not yet written.
    package static func targetSize(of delta: [UInt8]) throws(DeltaSyncError) -> Int {
        var reader = ByteReader(MemorySource(delta), what: "delta", bufferSize: 4096)
        try reader.header(
            magic: DeltaFormat.magic, version: DeltaFormat.version, hint: "make one with `fastpush delta SIG NEW DELTA`")
        _ = try reader.count("block size", limit: SignatureParameters.maximumBlockSize)
        _ = try reader.count("basis size", limit: Int.max)
        _ = try reader.bytes("basis digest", count: 16)
        while true {
            switch try reader.byte("operation") {
            case DeltaFormat.copy:
                _ = try reader.signedVarint("copy start")
                _ = try reader.count("copy length", limit: Int.max)
            case DeltaFormat.literal:
                let length = try reader.count("literal length", limit: DeltaFormat.maximumLiteralLength)
                _ = try reader.bytes("literal", count: length)
            case DeltaFormat.deflatedLiteral:
                _ = try reader.count("literal length", limit: DeltaFormat.maximumLiteralLength)
                let compressedLength = try reader.count("compressed length", limit: DeltaFormat.maximumLiteralLength)
                _ = try reader.bytes("compressed literal", count: compressedLength)
            case DeltaFormat.end:
                return try reader.count("target size", limit: Int.max)
            case let tag:
                throw reader.corrupt("unknown operation 0x\(String(tag, radix: 16))")
            }
        }
    }
}
