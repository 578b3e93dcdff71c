import PropertyBased
import Testing

@testable import DeltaSync

/// The matcher's fast paths (bit filters, the scanner's loop, parallel scanning ahead, refills of its buffer)
/// against the matching rules written out plainly: every delta must be byte for byte what the plain version
/// makes, and rebuild the new file.
@Suite struct MatcherEquivalenceTests {
    /// The delta by the matching rules alone: a lookup at every position (no filter), one thread, the whole
    /// new file in memory. Runs of unmatched bytes go to the encoder whole; it splits them at the literal
    /// limit as the matcher does.
    static func referenceDelta(signature: Signature, target: [UInt8], compress: Bool = true) throws -> [UInt8] {
        let blockSize = signature.parameters.blockSize
        let fullBlocks = signature.fileSize / blockSize
        let mask = BlockHash.mask(byteCount: signature.parameters.strongHashLength)
        var index = BlockIndex(signature: signature, count: fullBlocks)
        var encoder = DeltaEncoder(
            sink: MemorySink(), blockSize: blockSize, basisSize: signature.fileSize, basisDigest: signature.fileDigest,
            compress: compress)
        try target.withUnsafeBytes { bytes in
            func window(_ position: Int) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: bytes[position..<position + blockSize])
            }
            var position = 0
            var literalStart = 0
            var expected = -1
            var checksum = RollingChecksum(windowLength: blockSize)
            var rolled = false  // `checksum` holds the window at `position`
            while position + blockSize <= target.count {
                var block: Int? = nil
                if !rolled && expected >= 0 && expected < fullBlocks
                    && BlockHash.hash(window(position)) & mask == signature.strongHashes[expected]
                {
                    block = expected
                } else {
                    if !rolled { checksum.reset(window(position)) }
                    let here = window(position)
                    block = index.match(
                        weak: checksum.weak, strongHash: { BlockHash.hash(here) & mask }, preferred: expected)
                }
                if let block {
                    if position > literalStart { try encoder.literal(bytes, literalStart..<position) }
                    try encoder.copy(block: block, length: blockSize)
                    position += blockSize
                    literalStart = position
                    expected = block + 1
                    rolled = false
                    continue
                }
                expected = -1
                if position + blockSize < target.count {
                    checksum.roll(out: bytes[position], in: bytes[position + blockSize])
                    rolled = true
                }
                position += 1
            }
            // The basis's short last block may match the very end.
            let tailLength = signature.fileSize - fullBlocks * blockSize
            var literalEnd = target.count
            if tailLength > 0 && target.count - literalStart >= tailLength {
                let tail = UnsafeRawBufferPointer(rebasing: bytes[(target.count - tailLength)...])
                if RollingChecksum.weak(tail) == signature.weakSums[fullBlocks]
                    && BlockHash.hash(tail) & mask == signature.strongHashes[fullBlocks]
                {
                    literalEnd = target.count - tailLength
                }
            }
            if literalEnd > literalStart { try encoder.literal(bytes, literalStart..<literalEnd) }
            if literalEnd < target.count { try encoder.copy(block: fullBlocks, length: tailLength) }
        }
        _ = try encoder.finish(targetSize: target.count, targetDigest: FileDigest(of: target))
        return encoder.output.bytes
    }

    /// Reads a few bytes at a time, in seeded random amounts: refills at every kind of offset.
    struct ChoppySource: ByteSource {
        let bytes: [UInt8]
        var position = 0
        var random: SeededGenerator

        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(DeltaSyncError) -> Int {
            let count = min(buffer.count, bytes.count - position, 1 + Int(random.next() % 70_000))
            if count > 0 {
                bytes.withUnsafeBytes {
                    buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: count)
                }
            }
            position += count
            return count
        }
    }

    /// The matcher's delta with the given threads and parallel threshold, read through `source`.
    static func matcherDelta(
        signature: Signature, source: some ByteSource, threads: Int, parallelScanAfter: Int, compress: Bool = true
    ) throws(DeltaSyncError) -> (delta: [UInt8], summary: DeltaSummary) {
        var matcher = BlockMatcher(
            signature: signature, source: source, sink: MemorySink(), compress: compress, threads: threads,
            parallelScanAfter: parallelScanAfter)
        let (summary, sink) = try matcher.run()
        return (sink.bytes, summary)
    }

    /// Checks every way of running the matcher against the reference on one pair of files.
    static func checkAllWays(
        basis: [UInt8], target: [UInt8], parameters: SignatureParameters, seed: UInt64, compress: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let signature = Signature(bytes: basis, parameters: parameters)
        let expected = try referenceDelta(signature: signature, target: target, compress: compress)
        #expect(
            patched(basis, expected).map { $0 == target } == .success(true), "the reference delta rebuilds the target",
            sourceLocation: sourceLocation)
        // Deltas are compared whole; a failure names the sizes, not every byte.
        func same(_ delta: [UInt8]) -> Bool { delta == expected }
        let plain = Delta.make(signature: signature, bytes: target, compressLiterals: compress).delta
        #expect(same(plain), "Delta.make: \(plain.count) bytes, expected \(expected.count)", sourceLocation: sourceLocation)
        for (threads, after) in [(1, 256 * 1024), (2, 1), (2, 3 * parameters.blockSize), (3, 1), (4, 700)] {
            let whole = try matcherDelta(
                signature: signature, source: MemorySource(target), threads: threads, parallelScanAfter: after,
                compress: compress)
            #expect(
                same(whole.delta), "\(threads) threads, parallel after \(after): \(whole.delta.count) bytes",
                sourceLocation: sourceLocation)
            #expect(whole.summary.encodedSize == expected.count, sourceLocation: sourceLocation)
            let choppy = try matcherDelta(
                signature: signature, source: ChoppySource(bytes: target, random: SeededGenerator(seed: seed)),
                threads: threads, parallelScanAfter: after, compress: compress)
            #expect(
                same(choppy.delta), "choppy reads, \(threads) threads, parallel after \(after): \(choppy.delta.count) bytes",
                sourceLocation: sourceLocation)
        }
    }

    @Test func randomEditsGiveTheReferenceDelta() async throws {
        await propertyCheck(count: 60, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            var random = SeededGenerator(seed: UInt64(seed))
            let (basis, target, parameters) = DeltaRoundTripTests.randomCase(
                &random, maximumSize: 60_000, strongHashLengths: 2...8)
            try! Self.checkAllWays(basis: basis, target: target, parameters: parameters, seed: UInt64(seed))
        }
    }

    /// Sizes at and around block boundaries, the empty file and one byte, on both sides.
    @Test func sizesAroundBlockBoundaries() throws {
        var random = SeededGenerator(seed: 21)
        let blockSize = 64
        let parameters = try SignatureParameters(blockSize: blockSize, strongHashLength: 4)
        let sizes = [0, 1, 2, blockSize - 1, blockSize, blockSize + 1, 2 * blockSize - 1, 2 * blockSize, 9 * blockSize + 1]
        let longest = random.bytes(sizes.max()!)
        for basisSize in sizes {
            for targetSize in sizes {
                let basis = Array(longest[..<basisSize])
                // The same bytes (a prefix or an extension of the basis), then bytes of their own.
                try Self.checkAllWays(
                    basis: basis, target: Array(longest[..<targetSize]), parameters: parameters, seed: UInt64(targetSize))
                try Self.checkAllWays(
                    basis: basis, target: random.bytes(targetSize), parameters: parameters, seed: UInt64(basisSize))
            }
        }
    }

    /// Nothing matches: every position is scanned, in parallel past the threshold, across refills.
    @Test func unrelatedDataGivesTheReferenceDelta() throws {
        var random = SeededGenerator(seed: 22)
        let parameters = try SignatureParameters(blockSize: 256, strongHashLength: 3)
        for size in [1, 255, 256, 257, 5_000, 300_000] {
            try Self.checkAllWays(
                basis: random.bytes(size), target: random.bytes(size + 17), parameters: parameters, seed: UInt64(size))
        }
    }

    /// Megabytes that match nothing from the very first byte, then a match: the buffer fills with one literal
    /// and reads ahead while it does; sizes at and around whole reads.
    @Test func longUnmatchedStartsGiveTheReferenceDelta() throws {
        var random = SeededGenerator(seed: 27)
        let parameters = try SignatureParameters(blockSize: 1024, strongHashLength: 4)
        let basis = random.bytes(64 * 1024)
        for length in [(2 << 20) - 1024, 2 << 20, (3 << 20) + 333] {
            try Self.checkAllWays(
                basis: basis, target: random.bytes(length) + basis, parameters: parameters, seed: UInt64(length))
        }
        try Self.checkAllWays(basis: basis, target: random.bytes(2 << 20), parameters: parameters, seed: 28)
    }

    /// Longer than the matcher's buffer, with stretches that match and stretches that do not, each longer
    /// than the parallel threshold; literals longer than the literal limit; text that deflates.
    @Test func filesLongerThanTheBufferGiveTheReferenceDelta() throws {
        var random = SeededGenerator(seed: 23)
        let blockSize = 512
        let parameters = try SignatureParameters(blockSize: blockSize, strongHashLength: 4)
        let basis = random.bytes(3 << 20)
        var target: [UInt8] = []
        target += basis[0..<(600 << 10)]
        target += random.bytes((1 << 20) + 12_345)  // a literal split at the limit
        target += basis[(700 << 10)..<(1500 << 10)]
        target += random.text(lines: 30_000)
        target += basis[(2 << 20)...]
        try Self.checkAllWays(basis: basis, target: target, parameters: parameters, seed: 24)
        try Self.checkAllWays(basis: basis, target: target, parameters: parameters, seed: 25, compress: false)
    }

    /// Long stretches of new bytes, each followed by basis blocks out of order: the windows after a copy are
    /// looked up among the candidates a parallel scan found ahead, not only rolled to.
    @Test func blocksOutOfOrderAfterLongLiterals() async throws {
        await propertyCheck(count: 12, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            var random = SeededGenerator(seed: UInt64(seed))
            let blockSize = [64, 256][Int(random.next() % 2)]
            let basis = random.bytes(200 * blockSize + Int(random.next() % UInt64(blockSize)))
            var target: [UInt8] = []
            for _ in 0..<8 {
                target += random.bytes((10 + Int(random.next() % 30)) * blockSize + Int(random.next() % 50))
                for _ in 0..<(1 + Int(random.next() % 5)) {
                    let block = Int(random.next() % 200)
                    target += basis[(block * blockSize)..<((block + 1) * blockSize)]
                }
            }
            let parameters = try! SignatureParameters(blockSize: blockSize, strongHashLength: 4)
            try! Self.checkAllWays(basis: basis, target: target, parameters: parameters, seed: UInt64(seed))
        }
    }

    /// Weak sums crafted to collide: the false-alarm limit must count the same lookups on every path.
    @Test func collidingWeakSumsGiveTheReferenceDelta() throws {
        let blockSize = 64
        let blocks = 300
        let signature = try Signature.collidingWeakSums(blockSize: blockSize, blocks: blocks)
        var random = SeededGenerator(seed: 26)
        let target = [UInt8](repeating: 0, count: 100_000) + random.bytes(5000) + [UInt8](repeating: 0, count: 50_000)
        let expected = try Self.referenceDelta(signature: signature, target: target)
        for (threads, after) in [(1, 256 * 1024), (2, 1), (3, 1000)] {
            let made = try Self.matcherDelta(
                signature: signature, source: MemorySource(target), threads: threads, parallelScanAfter: after)
            let same = made.delta == expected
            #expect(same, "\(threads) threads: \(made.delta.count) bytes, expected \(expected.count)")
        }
    }
}
