/// Computes a delta: reads the new file once, front to back, and finds the signature's blocks in it at
/// any byte offset.
///
/// The window of one block rolls a byte at a time (``RollingChecksum``); a bit filter rejects almost
/// every position with one cache-resident load. After a match the next window starts a block later, and
/// the block after the matched one is tried first by its strong hash alone, so unchanged stretches of a
/// file cost one XXH3 per block and form single copy runs.
///
/// Memory is bounded whatever the file size: a buffer of the dictionary window, one maximum literal, two
/// blocks and a 1 MiB read, plus the signature's index.
struct BlockMatcher<Source: ByteSource, Sink: ByteSink>: ~Copyable {
    private let signature: Signature
    private var index: BlockIndex
    private var encoder: DeltaEncoder<Sink>
    private var source: Source
    private let blockSize: Int
    private let fullBlocks: Int
    private let strongMask: UInt64
    private let buffer: UnsafeMutableRawBufferPointer
    private var end = 0
    private var exhausted = false
    private var digest = FileDigest.Hasher()
    private var totalRead = 0

    init(signature: Signature, source: Source, sink: Sink, compress: Bool, primer: [UInt8] = []) {
        self.signature = signature
        self.source = source
        blockSize = signature.parameters.blockSize
        fullBlocks = signature.fileSize / blockSize
        strongMask = BlockHash.mask(byteCount: signature.parameters.strongHashLength)
        index = BlockIndex(signature: signature, count: fullBlocks)
        encoder = DeltaEncoder(
            sink: sink, blockSize: blockSize, basisSize: signature.fileSize, basisDigest: signature.fileDigest,
            compress: compress, primer: primer)
        let capacity = DeltaFormat.dictionaryLength + DeltaFormat.maximumLiteralLength + 2 * blockSize + (1 << 20)
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Runs the match over the whole source; returns the summary and the sink holding the delta.
    mutating func run() throws(DeltaSyncError) -> (DeltaSummary, Sink) {
        let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self)
        var checksum = RollingChecksum(windowLength: blockSize)
        var position = 0  // start of the current window
        var literalStart = 0  // first byte not yet sent as literal or copy
        var expected = -1  // the block after the previous match, tried first
        var windowReady = false  // `checksum` holds the window at `position`
        var windowTested = false  // that window has been looked up without a match
        let filterShift = index.filterBitShift

        while true {
            let needed = blockSize + (windowTested ? 1 : 0)
            if end - position < needed {
                try refill(position: &position, literalStart: &literalStart)
                if end - position < needed { break }
            }
            if windowTested {
                checksum.roll(out: base[position], in: base[position + blockSize])
                position += 1
                windowTested = false
            }

            // A run continues when the next window is the next block: one strong hash decides.
            if !windowReady && expected >= 0 && expected < fullBlocks {
                let window = UnsafeRawBufferPointer(start: base + position, count: blockSize)
                if BlockHash.hash(window) & strongMask == signature.strongHashes[expected] {
                    try emitCopy(block: expected, at: &position, literalStart: &literalStart)
                    expected += 1
                    continue
                }
            }
            if !windowReady {
                checksum.reset(UnsafeRawBufferPointer(start: base + position, count: blockSize))
                windowReady = true
            }

            // Roll through the buffer until the filter lets a window through or the buffer runs out.
            let limit = min(end - blockSize, literalStart + DeltaFormat.maximumLiteralLength)
            var found: Int? = nil
            var candidate = position
            var state = checksum.state
            let filter = index.filter
            filter.withUnsafeBufferPointer { filter in
                checksum.withOutgoingTable { outgoing in
                    @inline(__always) func passes(_ state: UInt64) -> Bool {
                        let bit = BlockIndex.filterBit(UInt32(truncatingIfNeeded: state >> 32), shift: filterShift)
                        return filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0
                    }
                    // Two windows per step: the next-but-one state comes from this one directly, which
                    // halves the chain of dependent multiplies that bounds the loop's speed.
                    let multiplier = RollingChecksum.multiplier
                    let multiplier2 = multiplier &* multiplier
                    while candidate + 2 <= limit {
                        if passes(state) { return }
                        let x0 = UInt64(base[candidate + blockSize]) &- outgoing[Int(base[candidate])]
                        let x1 = UInt64(base[candidate + blockSize + 1]) &- outgoing[Int(base[candidate + 1])]
                        let next = state &* multiplier &+ x0
                        let nextButOne = state &* multiplier2 &+ (x0 &* multiplier &+ x1)
                        if passes(next) {
                            state = next
                            candidate += 1
                            return
                        }
                        state = nextButOne
                        candidate += 2
                    }
                    while !passes(state) && candidate < limit {
                        state = state &* multiplier
                            &+ (UInt64(base[candidate + blockSize]) &- outgoing[Int(base[candidate])])
                        candidate += 1
                    }
                }
            }
            checksum.storedState = state
            position = candidate
            let weak = UInt32(truncatingIfNeeded: state >> 32)
            let bit = BlockIndex.filterBit(weak, shift: filterShift)
            if filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0 {
                let window = UnsafeRawBufferPointer(start: base + position, count: blockSize)
                found = index.match(weak: weak, strongHash: { BlockHash.hash(window) & strongMask }, preferred: expected)
            }
            if let block = found {
                try emitCopy(block: block, at: &position, literalStart: &literalStart)
                expected = block + 1
                windowReady = false
                continue
            }
            if position - literalStart >= DeltaFormat.maximumLiteralLength {
                try encoder.literal(UnsafeRawBufferPointer(buffer), literalStart..<position)
                literalStart = position
            }
            windowTested = true
            expected = -1
        }

        // Fewer than a block's bytes remain unmatched: the short last block of the basis may still match
        // the very end of the file.
        let tailLength = signature.fileSize - fullBlocks * blockSize
        var literalEnd = end
        if tailLength > 0 && end - literalStart >= tailLength {
            let tail = UnsafeRawBufferPointer(start: base + end - tailLength, count: tailLength)
            let last = fullBlocks
            if RollingChecksum.weak(tail) == signature.weakSums[last]
                && BlockHash.hash(tail) & strongMask == signature.strongHashes[last]
            {
                literalEnd = end - tailLength
            }
        }
        if literalEnd > literalStart {
            try encoder.literal(UnsafeRawBufferPointer(buffer), literalStart..<literalEnd)
        }
        if literalEnd < end { try encoder.copy(block: fullBlocks, length: tailLength) }
        let summary = try encoder.finish(targetSize: totalRead, targetDigest: digest.finalize())
        return (summary, encoder.output)
    }

    private mutating func emitCopy(block: Int, at position: inout Int, literalStart: inout Int) throws(DeltaSyncError)
    {
        if position > literalStart {
            try encoder.literal(UnsafeRawBufferPointer(buffer), literalStart..<position)
        }
        try encoder.copy(block: block, length: blockSize)
        position += blockSize
        literalStart = position
    }

    /// Moves the bytes still needed to the front of the buffer (the unsent literal and the dictionary
    /// window before it) and reads until the buffer is full or the source ends.
    private mutating func refill(position: inout Int, literalStart: inout Int) throws(DeltaSyncError) {
        guard !exhausted else { return }
        let keep = max(0, literalStart - DeltaFormat.dictionaryLength)
        if keep > 0 {
            (buffer.baseAddress!).copyMemory(from: buffer.baseAddress! + keep, byteCount: end - keep)
            end -= keep
            position -= keep
            literalStart -= keep
        }
        while end < buffer.count {
            let space = UnsafeMutableRawBufferPointer(rebasing: buffer[end...])
            let count = try source.read(into: space)
            if count == 0 {
                exhausted = true
                break
            }
            digest.update(UnsafeRawBufferPointer(rebasing: space[..<count]))
            end += count
            totalRead += count
        }
    }
}
