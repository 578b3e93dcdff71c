import Testing

@testable import DeltaSync

/// Inputs crafted to make block matching slow or wrong.
@Suite struct MatcherSafetyTests {
    /// Every block of the signature has the weak sum of an all-zero window but a different strong hash,
    /// so every position of an all-zero file is a weak hit that the strong hash rejects. Without bounds
    /// this costs a strong hash of every candidate at every byte.
    @Test func collidingWeakSumsStayBounded() throws {
        let blockSize = 256
        let blocks = 2000
        let signature = try Signature.collidingWeakSums(blockSize: blockSize, blocks: blocks)
        let target = [UInt8](repeating: 0, count: 2 << 20)
        let (delta, summary) = Delta.make(signature: signature, bytes: target)
        #expect(summary.copiedBytes == 0)
        #expect(summary.literalBytes == target.count)
        // The delta is still a valid description of the target (against a basis of the right size).
        let basis = [UInt8](repeating: 7, count: blocks * blockSize)
        #expect(patched(basis, delta).map { $0 == target } == .success(true))
    }

    /// Many identical blocks: the matcher must still prefer the next block so runs form.
    @Test func repeatedBlocksFormRuns() throws {
        let basis = [UInt8](repeating: 0x41, count: 64 * 1024)
        let summary = Delta.make(
            signature: Signature(bytes: basis, parameters: try SignatureParameters(blockSize: 1024, strongHashLength: 4)),
            bytes: basis
        ).summary
        #expect(summary.copyOperations == 1)
        #expect(summary.literalBytes == 0)
    }

    /// A false strong match (forced with 1-byte strong hashes and a signature lying about one block) is
    /// caught by the whole-file digest: the patch refuses instead of writing a wrong file.
    @Test func falseMatchIsCaughtByTheFileDigest() throws {
        var random = SeededGenerator(seed: 9)
        let basis = random.bytes(4096)
        let target = random.bytes(4096)
        let honest = Signature(bytes: basis, parameters: try SignatureParameters(blockSize: 1024, strongHashLength: 1))
        // Claim the basis's first block has the weak and strong sums of the target's first block.
        var weak = honest.weakSums
        var strong = honest.strongHashes
        target[0..<1024].withUnsafeBytes { window in
            weak[0] = RollingChecksum.weak(window)
            strong[0] = BlockHash.hash(window) & 0xFF
        }
        let lying = Signature(
            parameters: honest.parameters, fileSize: honest.fileSize, fileDigest: honest.fileDigest, weakSums: weak,
            strongHashes: strong)
        let (delta, summary) = Delta.make(signature: lying, bytes: target)
        #expect(summary.copiedBytes == 1024)
        guard case .failure(let error) = patched(basis, delta) else {
            Issue.record("a wrong rebuild was accepted")
            return
        }
        #expect(error.code == .digestMismatch)
        #expect(error.message.contains("--strong-bytes 8"))
    }
}
