import Testing

@testable import DeltaSync

/// Signatures computed from bytes as they arrive are the signatures of the whole content, whatever the pieces, and
/// files signed many at once get the signature each gives alone.
@Suite struct SignatureBuilderTests {
    @Test(arguments: [1, 63, 64, 65, 1_000, 70_000])
    func piecesOfAnySizeGiveTheSignatureOfTheWhole(pieceSize: Int) throws {
        let content = SeededGenerator.bytes(seed: UInt64(pieceSize), count: 150_001)
        let parameters = try SignatureParameters(blockSize: 64, strongHashLength: 5)
        var builder = SignatureBuilder(parameters: parameters)
        var start = 0
        while start < content.count {
            let end = min(start + pieceSize, content.count)
            content[start..<end].withUnsafeBytes { builder.update($0) }
            start = end
        }
        let built = builder.finalize(fileDigest: FileDigest(of: content))
        #expect(built.encoded() == Signature(bytes: content, parameters: parameters).encoded())
        #expect(built.fileSize == content.count)
        #expect(built.hasShortLastBlock)
    }

    @Test func nothingFedIsTheSignatureOfNothing() {
        let built = SignatureBuilder(parameters: .forFile(size: 0)).finalize(fileDigest: FileDigest(of: []))
        #expect(built.encoded() == Signature(bytes: []).encoded())
    }

    /// Many files signed at once, each thread through its own buffer: each signature is the one the file alone
    /// gives, in the order asked, and a file that cannot be signed says why without stopping the others.
    @Test func manyFilesSignedAtOnceGiveEachFilesOwnSignature() throws {
        let tree = try TemporaryDirectory()
        var paths: [String] = []
        for index in 0..<40 {
            let path = tree.file("file\(index)")
            try FileTree.write(SeededGenerator.bytes(seed: UInt64(index), count: 5_000 * index), to: path)
            paths.append(path)
        }
        // Larger than a thread's buffer, so read in several pieces.
        try FileTree.write(SeededGenerator.text(seed: 99, lines: 40_000), to: tree.file("large.swift"))
        paths += [tree.file("large.swift"), tree.file("missing")]
        let signed = Signature.signatures(ofFiles: paths, threads: 3)
        #expect(signed.count == paths.count)
        for (path, result) in zip(paths.dropLast(), signed) {
            #expect((try result.get().encoded()) == (try Signature(file: path).encoded()), "\(path)")
        }
        #expect(throws: DeltaSyncError.self) { try signed.last!.get() }
        #expect(try FileTree.read(tree.file("large.swift")).count > ParallelReads.bufferSize)
    }
}
