import Testing

@testable import DeltaSync

/// A signature kept by the client never crosses the network, so it has finer blocks: scattered small edits cost
/// small blocks of literals, and the delta made from it is one any patcher applies.
@Suite struct KeptSignatureTests {
    @Test func blocksAreASixteenthOfTheSentOnesAndAtLeast256Bytes() {
        #expect(SignatureParameters.forKeptSignature(size: 256 << 20).blockSize == 512)
        #expect(SignatureParameters.forKeptSignature(size: 1 << 30).blockSize == 1024)
        #expect(SignatureParameters.forKeptSignature(size: 10_000).blockSize == 256)
        #expect(SignatureParameters.forKeptSignature(size: 0).blockSize == 256)
        for shift in 13...40 {
            let kept = SignatureParameters.forKeptSignature(size: 1 << shift)
            let sent = SignatureParameters.forFile(size: 1 << shift)
            #expect(kept.blockSize <= sent.blockSize)
            #expect(kept.strongHashLength >= sent.strongHashLength, "more blocks need no weaker strong hashes")
        }
    }

    @Test func scatteredSmallEditsCostSmallBlocks() throws {
        var random = SeededGenerator(seed: 21)
        let basis = random.bytes(16 << 20)
        var target = basis
        for edit in 0..<20 {
            let position = edit * (800 << 10) + Int(random.next() % 4096)
            let length = 1 + Int(random.next() % 64)
            target.replaceSubrange(position..<(position + length), with: random.bytes(length))
        }
        let sent = Delta.make(signature: Signature(bytes: basis), bytes: target).summary
        let kept = DeltaRoundTripTests.roundTrip(basis, target, parameters: .forKeptSignature(size: basis.count))
        #expect(sent.literalBytes >= 20 * 2048, "each edit costs a whole 2 KiB block of the sent signature")
        #expect(kept.literalBytes <= 20 * 2 * 256, "at most two 256-byte blocks per edit")
        #expect(kept.encodedSize * 3 < sent.encodedSize)
    }
}
