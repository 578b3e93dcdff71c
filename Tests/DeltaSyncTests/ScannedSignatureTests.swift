import Synchronization
import Testing

@testable import DeltaSync

/// Signatures computed from bytes as they arrive (the scanner's way, beside hashing) are the signatures of the whole
/// content, whatever the pieces.
@Suite struct ScannedSignatureTests {
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

    /// A scan asked for signatures gives one for every file it reads of at least the size asked, equal to what
    /// reading the file again would give, and none for smaller files or files it did not read.
    @Test func aScanSignsTheFilesItReadsFromTheSizeAsked() throws {
        let tree = try TemporaryDirectory()
        let large = SeededGenerator.text(seed: 1, lines: 2_000)
        let exact = SeededGenerator.bytes(seed: 2, count: 8_192)
        try FileTree.makeDirectories(tree.file("src"))
        try FileTree.write(large, to: tree.file("src/large.swift"))
        try FileTree.write(exact, to: tree.file("exact.bin"))
        try FileTree.write(Array(exact[..<8_191]), to: tree.file("smaller.bin"))
        try FileTree.write(large, to: tree.file("copy.swift"))

        var scanner = try TreeScanner(root: tree.path, ignoreRules: IgnoreRules(includeDefaults: false))
        scanner.signing = .init(minimumSize: 8_192)
        let scan = try scanner.scan()
        #expect(scan.hashedFiles == 4)
        #expect(Set(scan.signatures.keys) == [FileDigest(of: large), FileDigest(of: exact)], "one per content")
        for path in ["src/large.swift", "exact.bin"] {
            let digest = try #require(scan.manifest[path]?.digest)
            #expect(scan.signatures[digest]?.encoded() == (try Signature(file: tree.file(path)).encoded()), "\(path)")
        }

        // Content whose signature is kept already is not signed again; a file too large to hold whole is signed as
        // it is read, before its digest is known, so the question is not asked of it.
        let huge = SeededGenerator.bytes(seed: 3, count: 3 << 19)
        try FileTree.write(huge, to: tree.file("huge.bin"))
        let asked = Mutex<[FileDigest]>([])
        scanner.signing = .init(minimumSize: 8_192) { digest in
            asked.withLock { $0.append(digest) }
            return digest != FileDigest(of: large)
        }
        let selective = try scanner.scan()
        #expect(Set(selective.signatures.keys) == [FileDigest(of: exact), FileDigest(of: huge)])
        #expect(
            selective.signatures[FileDigest(of: huge)]?.encoded()
                == (try Signature(file: tree.file("huge.bin")).encoded()))
        #expect(Set(asked.withLock { $0 }) == [FileDigest(of: large), FileDigest(of: exact)])

        var unsigned = try TreeScanner(root: tree.path, ignoreRules: IgnoreRules(includeDefaults: false))
        #expect(try unsigned.scan().signatures.isEmpty, "none unless asked")

        // Files the stat cache vouches for are not read, so not signed either.
        var cached = try TreeScanner(root: tree.path, ignoreRules: IgnoreRules(includeDefaults: false))
        cached.cache.racyInterval = 0
        _ = try cached.scan()
        cached.signing = .init(minimumSize: 8_192)
        let again = try cached.scan()
        #expect(again.hashedFiles == 0)
        #expect(again.signatures.isEmpty)
    }
}
