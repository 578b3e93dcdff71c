import Testing

@testable import DeltaSync

/// A large file's signature is read and hashed by several threads in rounds of pieces: it must be exactly
/// the signature one thread computes from the same bytes, whatever the thread count and wherever the file
/// ends relative to blocks, pieces and rounds.
@Suite struct ParallelSignatureTests {
    static func check(size: Int, blockSize: Int, seed: UInt64, in directory: TemporaryDirectory) throws {
        let bytes = SeededGenerator.bytes(seed: seed, count: size)
        let path = directory.file("basis-\(size)-\(blockSize)")
        try FileTree.write(bytes, to: path)
        let parameters = try SignatureParameters(blockSize: blockSize, strongHashLength: 5)
        let expected = Signature(bytes: bytes, parameters: parameters)
        // 8 threads, usually more than processors: a round's pieces go to whichever thread is running.
        for threads in [1, 2, 3, 8] {
            let signature = try Signature(file: path, parameters: parameters, threads: threads)
            let same = signature.encoded() == expected.encoded()
            #expect(same, "size \(size), block \(blockSize), \(threads) threads")
            #expect(signature.fileDigest == FileDigest(of: bytes))
        }
    }

    @Test func sizesAroundPiecesAndRounds() throws {
        let directory = try TemporaryDirectory()
        let minimum = Signature.parallelMinimum
        for blockSize in [64, 100, 8192] {
            let piece = Signature.pieceLength(blockSize: blockSize)
            for size in [minimum - 1, minimum, minimum + 1, minimum + blockSize - 1, minimum + 2 * piece,
                minimum + 3 * piece + 1, minimum + 6 * piece - blockSize]
            {
                try Self.check(size: size, blockSize: blockSize, seed: UInt64(size + blockSize), in: directory)
            }
        }
    }

    /// Blocks larger than a quarter of a piece's nominal 256 KiB: a piece is one block, the largest allowed.
    @Test func blocksAsLargeAsAPiece() throws {
        let directory = try TemporaryDirectory()
        let blockSize = SignatureParameters.maximumBlockSize
        #expect(Signature.pieceLength(blockSize: blockSize) == blockSize)
        try Self.check(size: 5 * blockSize + 12_345, blockSize: blockSize, seed: 31, in: directory)
    }

    @Test func defaultParametersMatchTheOneThreadSignature() throws {
        let directory = try TemporaryDirectory()
        let bytes = SeededGenerator.bytes(seed: 32, count: 6 << 20)
        let path = directory.file("basis")
        try FileTree.write(bytes, to: path)
        let same = try Signature(file: path).encoded() == Signature(bytes: bytes).encoded()
        #expect(same)
    }
}
