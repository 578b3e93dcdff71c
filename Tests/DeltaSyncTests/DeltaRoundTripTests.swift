import PropertyBased
import Testing

@testable import DeltaSync

/// Random files and random edits: whatever the change, patching the basis with the delta gives the new file.
@Suite struct DeltaRoundTripTests {
    enum Edit: CaseIterable { case insert, delete, replace, move, boundary, duplicate }

    /// Applies 1–8 random edits of every kind to `basis`.
    static func edited(_ basis: [UInt8], blockSize: Int, random: inout SeededGenerator) -> [UInt8] {
        var data = basis
        for _ in 0..<(1 + Int(random.next() % 8)) {
            let position = data.isEmpty ? 0 : Int(random.next() % UInt64(data.count + 1))
            let length = 1 + Int(random.next() % UInt64(2 * blockSize))
            let end = min(data.count, position + length)
            switch Edit.allCases[Int(random.next() % UInt64(Edit.allCases.count))] {
            case .insert:
                data.insert(contentsOf: random.bytes(length), at: position)
            case .delete:
                data.removeSubrange(position..<end)
            case .replace:
                data.replaceSubrange(position..<end, with: random.bytes(end - position))
            case .move:
                let moved = Array(data[position..<end])
                data.removeSubrange(position..<end)
                data.insert(contentsOf: moved, at: data.isEmpty ? 0 : Int(random.next() % UInt64(data.count + 1)))
            case .boundary:
                let boundary = min(data.count, (position / blockSize) * blockSize)
                let offset = boundary + (random.next() % 2 == 0 ? 0 : -1)
                if offset >= 0 && offset < data.count { data[offset] ^= 0xFF }
            case .duplicate:
                data.insert(contentsOf: data[position..<end], at: end)
            }
        }
        return data
    }

    static func roundTrip(_ basis: [UInt8], _ target: [UInt8], parameters: SignatureParameters) -> DeltaSummary {
        let signature = Signature(bytes: basis, parameters: parameters)
        let (delta, summary) = Delta.make(signature: signature, bytes: target)
        let rebuilt = patched(basis, delta)
        #expect(rebuilt.map { $0 == target } == .success(true))
        #expect(summary.copiedBytes + summary.literalBytes == target.count)
        #expect(summary.encodedSize == delta.count)
        #expect(summary.targetDigest == FileDigest(of: target))
        return summary
    }

    /// A random case: a basis of random bytes or text lines below `maximumSize` bytes, a copy of it with random edits,
    /// and parameters with a block size of 64 to 1,024 bytes and a strong hash of `strongHashLengths` bytes.
    static func randomCase(
        _ random: inout SeededGenerator, maximumSize: Int, strongHashLengths: ClosedRange<Int>
    ) -> (basis: [UInt8], target: [UInt8], parameters: SignatureParameters) {
        let blockSize = [64, 100, 256, 1024][Int(random.next() % 4)]
        let size = Int(random.next() % UInt64(maximumSize))
        let basis = random.next() % 2 == 0 ? random.bytes(size) : random.text(lines: size / 40)
        let target = edited(basis, blockSize: blockSize, random: &random)
        let strongHashLength = strongHashLengths.lowerBound + Int(random.next() % UInt64(strongHashLengths.count))
        return (basis, target, try! SignatureParameters(blockSize: blockSize, strongHashLength: strongHashLength))
    }

    @Test func randomFilesWithRandomEdits() async throws {
        await propertyCheck(count: 120, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            var random = SeededGenerator(seed: UInt64(seed))
            let (basis, target, parameters) = Self.randomCase(&random, maximumSize: 40_000, strongHashLengths: 3...8)
            _ = Self.roundTrip(basis, target, parameters: parameters)
        }
    }

    @Test func identicalFilesAreOneCopyRun() {
        var random = SeededGenerator(seed: 1)
        let data = random.bytes(100_000)
        let summary = Self.roundTrip(data, data, parameters: .forFile(size: data.count))
        #expect(summary.literalBytes == 0)
        #expect(summary.copyOperations == 1)
        #expect(summary.encodedSize < 64)
    }

    @Test func unrelatedFilesAreAllLiteral() {
        var random = SeededGenerator(seed: 2)
        let summary = Self.roundTrip(random.bytes(50_000), random.bytes(50_000), parameters: .forFile(size: 50_000))
        #expect(summary.copiedBytes == 0)
        // Random bytes must not be deflated: the literal costs its length plus a few header bytes.
        #expect(summary.literalWireBytes >= summary.literalBytes)
        #expect(summary.literalWireBytes < summary.literalBytes + 16)
    }

    @Test func emptyAndShortFiles() throws {
        let parameters = try SignatureParameters(blockSize: 256, strongHashLength: 4)
        var random = SeededGenerator(seed: 3)
        let short = random.bytes(100)
        #expect(Self.roundTrip([], [], parameters: parameters).encodedSize > 0)
        #expect(Self.roundTrip([], short, parameters: parameters).literalBytes == 100)
        #expect(Self.roundTrip(short, [], parameters: parameters).targetSize == 0)
        // A file shorter than one block matches itself through the short last block.
        #expect(Self.roundTrip(short, short, parameters: parameters).copiedBytes == 100)
        let shorter = Array(short[..<99])
        #expect(Self.roundTrip(short, shorter, parameters: parameters).copiedBytes == 0)
    }

    @Test func blocksAreFoundAtAnyOffset() throws {
        var random = SeededGenerator(seed: 4)
        let basis = random.bytes(64 * 1024)
        let parameters = try SignatureParameters(blockSize: 1024, strongHashLength: 4)
        for shift in [1, 7, 333, 1023, 1025] {
            let target = random.bytes(shift) + basis
            let summary = Self.roundTrip(basis, target, parameters: parameters)
            #expect(summary.copiedBytes == basis.count, "shift \(shift)")
            #expect(summary.literalBytes == shift)
            #expect(summary.copyOperations == 1, "consecutive blocks form one run")
        }
    }

    @Test func movedBlocksAreCopiedNotResent() throws {
        var random = SeededGenerator(seed: 5)
        let first = random.bytes(8192)
        let second = random.bytes(8192)
        let parameters = try SignatureParameters(blockSize: 512, strongHashLength: 4)
        let summary = Self.roundTrip(first + second, second + first, parameters: parameters)
        #expect(summary.literalBytes == 0)
        #expect(summary.copyOperations == 2)
    }

    @Test func textLiteralsAreDeflatedAgainstThePrecedingBytes() throws {
        var random = SeededGenerator(seed: 6)
        let basis = random.text(lines: 400)
        var target = basis
        let middle = target.count / 2
        target.replaceSubrange(middle..<middle + 10, with: Array("return value + index // changed".utf8))
        let summary = Self.roundTrip(basis, target, parameters: .forFile(size: basis.count))
        #expect(summary.literalWireBytes * 2 < summary.literalBytes, "compressible literal was deflated")
        let uncompressed = Delta.make(
            signature: Signature(bytes: basis), bytes: target, compressLiterals: false
        ).summary
        #expect(uncompressed.literalWireBytes >= uncompressed.literalBytes)
        #expect(patched(basis, Delta.make(signature: Signature(bytes: basis), bytes: target, compressLiterals: false).delta)
            .map { $0 == target } == .success(true))
    }

    @Test func literalsLongerThanTheLimitAreSplit() throws {
        var random = SeededGenerator(seed: 7)
        let target = random.bytes(DeltaFormat.maximumLiteralLength * 2 + 5000)
        let summary = Self.roundTrip([], target, parameters: .forFile(size: 0))
        #expect(summary.literalOperations == 3)
    }

    @Test func everyStrongLengthAndFullRetryWork() throws {
        var random = SeededGenerator(seed: 8)
        let basis = random.bytes(30_000)
        let target = Self.edited(basis, blockSize: 256, random: &random)
        for length in 1...8 {
            _ = Self.roundTrip(basis, target, parameters: try SignatureParameters(blockSize: 256, strongHashLength: length))
        }
        #expect(SignatureParameters.forFile(size: 1 << 28).withFullStrongHashes.strongHashLength == 8)
    }
}
