import Dispatch

/// Computes a delta: reads the new file once, front to back, and finds the signature's blocks in it at
/// any byte offset.
///
/// The window of one block rolls a byte at a time; a ``WindowScanner`` skips every position whose weak sum
/// cannot be a block's (two bit filters, see ``BlockIndex``). After a match the next window starts a block
/// later, and the block after the matched one is tried first by its strong hash alone, so unchanged
/// stretches of a file cost one XXH3 per block and form single copy runs.
///
/// Parallel work, none of which changes the delta:
/// - Once a stretch of the new file has gone long without a match (256 KiB by default), the windows
///   ahead are scanned by several threads at once, each over its own part of the buffer. Which windows
///   pass the filters depends on their bytes only, so the candidates found ahead are the ones the
///   sequential scan would stop at; they are then looked up in order exactly as it would. How far ahead is
///   scanned grows with the stretch already without a match, so the scanning wasted when matches resume
///   is at most what the stretch cost.
/// - The whole-file digest of each piece read runs on another thread while the piece is matched.
///
/// Memory is bounded whatever the file size: a buffer of the dictionary window, one maximum literal, two
/// blocks and a 1 MiB read, plus the signature's index.
struct BlockMatcher<Source: ByteSource, Sink: ByteSink>: ~Copyable {
    private let signature: Signature
    private var index: BlockIndex
    private let scanner: WindowScanner
    private var encoder: DeltaEncoder<Sink>
    private var source: Source
    private let blockSize: Int
    private let fullBlocks: Int
    private let strongMask: UInt64
    private let buffer: UnsafeMutableRawBufferPointer
    private var end = 0
    private var exhausted = false
    private let digest = BackgroundDigest()
    private var totalRead = 0
    private let threads: Int
    /// A stretch without a match after which scanning goes parallel (when `threads > 1`).
    private let parallelScanAfter: Int
    /// What the last parallel scan found, until the matcher has gone past it or the buffer moves.
    private var ahead: ScannedAhead? = nil

    /// Every candidate in the positions `from...through` of the buffer, the next to look at, and the checksum
    /// state at `through`.
    private struct ScannedAhead {
        var from: Int
        var through: Int
        var candidates: [WindowScanner.Candidate]
        var next = 0
        var state: UInt64
    }

    init(
        signature: Signature, source: Source, sink: Sink, compress: Bool, primer: [UInt8] = [],
        threads: Int = Parallel.processorCount, parallelScanAfter: Int = 256 * 1024
    ) {
        self.signature = signature
        self.source = source
        blockSize = signature.parameters.blockSize
        fullBlocks = signature.fileSize / blockSize
        strongMask = BlockHash.mask(byteCount: signature.parameters.strongHashLength)
        index = BlockIndex(signature: signature, count: fullBlocks)
        scanner = WindowScanner(index: index, checksum: RollingChecksum(windowLength: blockSize))
        encoder = DeltaEncoder(
            sink: sink, blockSize: blockSize, basisSize: signature.fileSize, basisDigest: signature.fileDigest,
            compress: compress, primer: primer)
        self.threads = max(1, threads)
        self.parallelScanAfter = max(1, parallelScanAfter)
        let capacity = DeltaFormat.dictionaryLength + DeltaFormat.maximumLiteralLength + 2 * blockSize + (1 << 20)
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        digest.wait()
        buffer.deallocate()
    }

    /// Runs the match over the whole source; returns the summary and the sink holding the delta.
    mutating func run() throws(DeltaSyncError) -> (DeltaSummary, Sink) {
        let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self)
        var state: UInt64 = 0  // the checksum state of the window at `position`, once `windowReady`
        var position = 0  // start of the current window
        var literalStart = 0  // first byte not yet sent as literal or copy
        var unmatchedStart = 0  // where the stretch since the last copy began
        var expected = -1  // the block after the previous match, tried first
        var windowReady = false  // `state` holds the window at `position`
        var windowTested = false  // that window has been looked up without a match

        while true {
            let needed = blockSize + (windowTested ? 1 : 0)
            if end - position < needed {
                let moved = try refill(keepingFrom: literalStart)
                position -= moved
                literalStart -= moved
                unmatchedStart -= moved
                if end - position < needed { break }
            }
            if windowTested {
                state = scanner.roll(state, at: position, in: base)
                position += 1
                windowTested = false
            }

            // A run continues when the next window is the next block: one strong hash decides.
            if !windowReady && expected >= 0 && expected < fullBlocks {
                let window = UnsafeRawBufferPointer(start: base + position, count: blockSize)
                if BlockHash.hash(window) & strongMask == signature.strongHashes[expected] {
                    try emitCopy(block: expected, at: &position, literalStart: &literalStart)
                    unmatchedStart = position
                    expected += 1
                    continue
                }
            }
            if !windowReady {
                state = RollingChecksum.hash(UnsafeRawBufferPointer(start: base + position, count: blockSize))
                windowReady = true
            }

            // Roll on to the next window that may be a block's, or to the end of what can be scanned now.
            let limit = min(end - blockSize, literalStart + DeltaFormat.maximumLiteralLength)
            let candidate = nextCandidate(
                in: base, from: position, through: limit, state: state, unmatched: position - unmatchedStart)
            position = candidate.position
            state = candidate.state
            var found: Int? = nil
            if scanner.mayContain(state) {
                let window = UnsafeRawBufferPointer(start: base + position, count: blockSize)
                found = index.match(
                    weak: UInt32(truncatingIfNeeded: state >> 32), strongHash: { BlockHash.hash(window) & strongMask },
                    preferred: expected)
            }
            if let block = found {
                try emitCopy(block: block, at: &position, literalStart: &literalStart)
                unmatchedStart = position
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

    /// The first window in `position...limit` that may be a block's, with its checksum state; `limit` and its
    /// state if none is. `state` is the state at `position`; `unmatched` is how long the scan has gone
    /// without a match.
    private mutating func nextCandidate(
        in base: UnsafePointer<UInt8>, from start: Int, through limit: Int, state: UInt64, unmatched: Int
    ) -> WindowScanner.Candidate {
        var position = start
        var state = state
        while true {
            if var found = ahead, found.from <= position, position <= found.through {
                // The candidates the last parallel scan found from here on; past them, go on from its end.
                while found.next < found.candidates.count && found.candidates[found.next].position < position {
                    found.next += 1
                }
                ahead = found
                if found.next < found.candidates.count { return found.candidates[found.next] }
                position = found.through
                state = found.state
            }
            // Scan no further ahead than the stretch without a match already goes: if matches resume, the
            // scanning wasted is at most what that stretch cost. Each thread but the first starts its checksum
            // from scratch, a block's work: the stretch ahead must be long next to that.
            let stretch = unmatched + (position - start)
            let through = min(limit, position + stretch)
            guard threads > 1 && stretch >= parallelScanAfter
                && through - position >= max(parallelScanAfter, 8 * blockSize)
            else {
                return scanner.firstCandidate(in: base, from: position, through: limit, state: state)
            }
            ahead = scanInParallel(in: base, from: position, through: through, state: state)
        }
    }

    /// Finds every candidate in `from...through` on ``threads`` threads, each scanning its own part (all
    /// but the first start their checksum from scratch).
    private func scanInParallel(in base: UnsafePointer<UInt8>, from: Int, through: Int, state: UInt64) -> ScannedAhead {
        let parts = threads
        let length = through + 1 - from
        var found = [[WindowScanner.Candidate]](repeating: [], count: parts)
        var endStates = [UInt64](repeating: 0, count: parts)
        found.withUnsafeMutableBufferPointer { found in
            endStates.withUnsafeMutableBufferPointer { endStates in
                nonisolated(unsafe) let found = found
                nonisolated(unsafe) let endStates = endStates
                nonisolated(unsafe) let base = base
                let scanner = scanner
                let windowLength = blockSize
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let first = from + length * part / parts
                    let last = from + length * (part + 1) / parts - 1
                    let start =
                        part == 0
                        ? state : RollingChecksum.hash(UnsafeRawBufferPointer(start: base + first, count: windowLength))
                    endStates[part] = scanner.allCandidates(
                        in: base, from: first, through: last, state: start, into: &found[part])
                }
            }
        }
        return ScannedAhead(from: from, through: through, candidates: found.flatMap { $0 }, state: endStates[parts - 1])
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

    /// Moves the bytes still needed to the front of the buffer (the unsent literal from `literalStart` and
    /// the dictionary window before it) and reads until the buffer is full or the source ends; returns by
    /// how much positions in the buffer moved down.
    private mutating func refill(keepingFrom literalStart: Int) throws(DeltaSyncError) -> Int {
        guard !exhausted else { return 0 }
        ahead = nil
        // The digest of the last piece reads the bytes about to move.
        digest.wait()
        let moved = max(0, literalStart - DeltaFormat.dictionaryLength)
        if moved > 0 {
            (buffer.baseAddress!).copyMemory(from: buffer.baseAddress! + moved, byteCount: end - moved)
            end -= moved
        }
        let start = end
        while end < buffer.count {
            let space = UnsafeMutableRawBufferPointer(rebasing: buffer[end...])
            let count = try source.read(into: space)
            if count == 0 {
                exhausted = true
                break
            }
            end += count
            totalRead += count
        }
        digest.update(UnsafeRawBufferPointer(rebasing: buffer[start..<end]), inBackground: threads > 1)
        return moved
    }
}
