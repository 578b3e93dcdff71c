/// Writes the delta encoding: merges consecutive block copies into runs, compresses literals where that
/// pays, and streams the bytes to a sink in pieces of about 256 KiB.
struct DeltaEncoder<Sink: ByteSink> {
    private var sink: Sink
    private var writer = ByteWriter(capacity: 300 * 1024)
    private let compressor = LiteralCompressor()
    private let compress: Bool
    private var pendingCopy: (first: Int, count: Int)? = nil
    private var nextExpectedBlock = 0
    private(set) var summary = DeltaSummary()
    /// Bytes that stand before the new file's first byte as deflate's dictionary (a push bundle's shared
    /// dictionary), at most ``DeltaFormat/dictionaryLength``.
    private let primer: [UInt8]
    private var primedDictionary: [UInt8] = []

    init(sink: Sink, blockSize: Int, basisSize: Int, basisDigest: FileDigest, compress: Bool, primer: [UInt8] = []) {
        self.sink = sink
        self.compress = compress
        // Array(_:) of the slice: a copy of bytes, not the generic Sequence.suffix that rings element by element.
        self.primer = Array(primer.suffix(DeltaFormat.dictionaryLength))
        writer.bytes(DeltaFormat.magic)
        writer.byte(DeltaFormat.version)
        writer.varint(blockSize)
        writer.varint(basisSize)
        writer.bytes(basisDigest.bytes)
    }

    mutating func copy(block: Int, length: Int) throws(DeltaSyncError) {
        summary.copiedBytes += length
        if let pending = pendingCopy, pending.first + pending.count == block {
            pendingCopy = (pending.first, pending.count + 1)
            return
        }
        try flushCopy()
        pendingCopy = (block, 1)
    }

    /// Appends `range` of `buffer` as literal data; the bytes before `range.lowerBound` in `buffer`
    /// (up to the dictionary length) must be the new file's bytes that precede it, all of them when they are
    /// fewer (the primer stands before them).
    mutating func literal(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) throws(DeltaSyncError) {
        try flushCopy()
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(range.upperBound, start + DeltaFormat.maximumLiteralLength)
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            let preceding = UnsafeRawBufferPointer(
                rebasing: buffer[max(0, start - DeltaFormat.dictionaryLength)..<start])
            summary.literalBytes += bytes.count
            summary.literalOperations += 1
            let before = writer.bytes.count
            let compressor = self.compressor
            let deflated = compress ? withDictionary(before: preceding) { compressor.compress(bytes, dictionary: $0) } : nil
            if let deflated {
                writer.byte(DeltaFormat.deflatedLiteral)
                writer.varint(bytes.count)
                writer.varint(deflated.count)
                writer.bytes(deflated)
                summary.literalWireBytes += writer.bytes.count - before
            } else {
                writer.byte(DeltaFormat.literal)
                writer.varint(bytes.count)
                summary.literalWireBytes += writer.bytes.count - before + bytes.count
                if bytes.count >= 64 * 1024 {
                    // Large literals go straight to the sink instead of through the buffer.
                    summary.encodedSize += writer.bytes.count + bytes.count
                    try writeOut()
                    try sink.write(bytes)
                } else {
                    writer.bytes(bytes)
                }
            }
            try flushIfLarge()
            start = end
        }
    }

    mutating func finish(targetSize: Int, targetDigest: FileDigest) throws(DeltaSyncError) -> DeltaSummary {
        try flushCopy()
        writer.byte(DeltaFormat.end)
        writer.varint(targetSize)
        writer.bytes(targetDigest.bytes)
        summary.targetSize = targetSize
        summary.targetDigest = targetDigest
        summary.encodedSize += writer.bytes.count
        try writeOut()
        return summary
    }

    /// Runs `body` with the dictionary for a literal: the file's preceding bytes, after the primer when they are
    /// fewer than a dictionary's length.
    private mutating func withDictionary<Result>(
        before preceding: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        guard preceding.count < DeltaFormat.dictionaryLength, !primer.isEmpty else { return body(preceding) }
        primedDictionary.removeAll(keepingCapacity: true)
        primedDictionary.append(contentsOf: primer.suffix(DeltaFormat.dictionaryLength - preceding.count))
        primedDictionary.append(contentsOf: preceding)
        return primedDictionary.withUnsafeBytes(body)
    }

    private mutating func flushCopy() throws(DeltaSyncError) {
        guard let pending = pendingCopy else { return }
        pendingCopy = nil
        writer.byte(DeltaFormat.copy)
        writer.signedVarint(Int64(pending.first - nextExpectedBlock))
        writer.varint(pending.count)
        nextExpectedBlock = pending.first + pending.count
        summary.copyOperations += 1
        try flushIfLarge()
    }

    private mutating func flushIfLarge() throws(DeltaSyncError) {
        if writer.bytes.count >= 256 * 1024 {
            summary.encodedSize += writer.bytes.count
            try writeOut()
        }
    }

    private mutating func writeOut() throws(DeltaSyncError) {
        try writer.bytes.withBytes { (bytes) throws(DeltaSyncError) in try sink.write(bytes) }
        writer.removeAll()
    }

    /// The sink, for callers that collect the delta in memory.
    var output: Sink { sink }
}
