import Glibc
import Testing

@testable import DeltaSync

/// The scan memory's file form: a scanner in a new process restored from it reads no file and lists no directory
/// that did not change, finds what did, and a damaged, foreign, misplaced or other rules' file is refused whole
/// rather than trusted.
@Suite struct ScanMemoryFileTests {
    let tree: TemporaryDirectory

    init() throws {
        tree = try TemporaryDirectory()
        try FileTree.makeDirectories(tree.file("src/lib"))
        try FileTree.makeDirectories(tree.file("empty"))
        try FileTree.write(Array("print('hi')\n".utf8), to: tree.file("app.py"))
        try FileTree.write(Array("lib".utf8), to: tree.file("src/lib/util.py"))
        #expect(symlink("app.py", tree.file("src/main.py")) == 0)
        // Names Unicode calls equal are two files, each with its own entry.
        try FileTree.write(Array("composed".utf8), to: tree.file("caf\u{E9}.txt"))
        try FileTree.write(Array("decomposed".utf8), to: tree.file("cafe\u{301}.txt"))
    }

    /// A scanner that trusts what it sees at once (the files were just written: no racy interval).
    func trustingScanner(rules: IgnoreRules = IgnoreRules()) throws -> TreeScanner {
        var scanner = try TreeScanner(root: tree.path, ignoreRules: rules)
        scanner.cache.racyInterval = 0
        return scanner
    }

    /// The file a first scan of the tree leaves.
    func scannedMemory() throws -> (bytes: [UInt8], manifest: [UInt8]) {
        var scanner = try trustingScanner()
        let scan = try scanner.scan()
        #expect(scan.hashedFiles == 4)
        return try #require(scanner.encodedMemory(root: tree.path))
    }

    @Test func aRestoredScannerReadsNothingThatDidNotChangeAndFindsWhatDid() throws {
        let (bytes, manifestBytes) = try scannedMemory()
        var restored = try trustingScanner()
        let (manifest, digest) = try restored.restoreMemory(from: bytes, root: tree.path)
        #expect(manifestBytes == manifest.encoded())
        #expect(digest == FileDigest(of: manifestBytes), "the digest names the manifest's bytes")
        #expect(restored.cache.count == 4, "the stat cache holds the files the memory vouches for")
        #expect(restored.encodedMemory(root: tree.path)?.bytes == bytes)

        let unchanged = try restored.scan()
        #expect(unchanged.hashedFiles == 0 && unchanged.reusedEverything)
        #expect(unchanged.manifest == manifest)
        #expect(unchanged.manifest["cafe\u{301}.txt"]?.digest == FileDigest(of: Array("decomposed".utf8)))
        #expect(unchanged.manifest["caf\u{E9}.txt"]?.digest == FileDigest(of: Array("composed".utf8)))

        try FileTree.write(Array("lib, longer".utf8), to: tree.file("src/lib/util.py"))
        try FileTree.write(Array("new".utf8), to: tree.file("empty/new.txt"))
        let edited = try restored.scan()
        #expect(edited.hashedFiles == 2 && !edited.reusedEverything)
        var fresh = try TreeScanner(root: tree.path, ignoreRules: IgnoreRules())
        #expect(edited.manifest.encoded() == (try fresh.scan()).manifest.encoded(), "as a scan from nothing finds it")
    }

    @Test func everyTruncationAndEveryFlippedByteIsRefused() throws {
        let (bytes, _) = try scannedMemory()
        for length in 0..<bytes.count {
            #expect(throws: DeltaSyncError.self, "cut at \(length)") {
                try ScanMemory.decoded(Array(bytes[..<length]), root: tree.path, ignoreRules: IgnoreRules())
            }
        }
        for position in bytes.indices {
            var damaged = bytes
            damaged[position] ^= 0x01
            #expect(throws: DeltaSyncError.self, "byte \(position) flipped") {
                try ScanMemory.decoded(damaged, root: tree.path, ignoreRules: IgnoreRules())
            }
        }
        #expect(throws: DeltaSyncError.self) { try ScanMemory.decoded(bytes + [0], root: tree.path, ignoreRules: IgnoreRules()) }
    }

    @Test func aMemoryOfAnotherDirectoryOrOtherIgnoreRulesIsRefused() throws {
        let (bytes, _) = try scannedMemory()
        let elsewhere = #expect(throws: DeltaSyncError.self) {
            try ScanMemory.decoded(bytes, root: tree.path + "/src", ignoreRules: IgnoreRules())
        }
        #expect(elsewhere?.message.contains("another directory") == true)
        let otherRules = #expect(throws: DeltaSyncError.self) {
            try ScanMemory.decoded(bytes, root: tree.path, ignoreRules: IgnoreRules(cfignore: "*.txt\n"))
        }
        #expect(otherRules?.message.contains("ignore rules") == true)
        var scanner = try trustingScanner(rules: IgnoreRules(cfignore: "*.txt\n"))
        #expect(throws: DeltaSyncError.self) { try scanner.restoreMemory(from: bytes, root: tree.path) }
        #expect(scanner.encodedMemory(root: tree.path) == nil, "a refused memory changes nothing")
    }

    /// Well-sealed bytes whose content cannot be a scan of any tree: the checksum guards against damage, the decoder
    /// against everything else.
    @Test func wellSealedNonsenseIsRefused() throws {
        let (bytes, _) = try scannedMemory()
        let memory = try ScanMemory.decoded(bytes, root: tree.path, ignoreRules: IgnoreRules()).memory
        let file = try #require(memory.manifest.position(of: "app.py"))
        var childPastTheEnd = memory
        childPastTheEnd.listings[""]!.children.append(memory.manifest.entries.count)
        var listingOfAFile = memory
        listingOfAFile.listings["app.py"] = ScanMemory.Listing(identity: memory.identities[file]!, children: [])
        var childOfAnotherDirectory = memory
        childOfAnotherDirectory.listings[""]!.children.append(try #require(memory.manifest.position(of: "src/lib/util.py")))
        let impossible = [
            ("a child past the last entry", childPastTheEnd), ("a listing of a file", listingOfAFile),
            ("a child of another directory", childOfAnotherDirectory),
        ]
        for (what, nonsense) in impossible {
            let sealed = nonsense.encoded(root: tree.path, ignoreRules: IgnoreRules()).bytes
            #expect(throws: DeltaSyncError.self, "\(what)") {
                try ScanMemory.decoded(sealed, root: tree.path, ignoreRules: IgnoreRules())
            }
        }
        func sealed(_ body: [UInt8]) -> [UInt8] { body + FileDigest(of: body).bytes }
        let body = Array(bytes.dropLast(16))
        let cases: [(String, [UInt8])] = [
            ("a manifest's magic", sealed(Array("FPMF".utf8) + body.dropFirst(4))),
            ("version 2", sealed(Array("FPSM".utf8) + [2] + body.dropFirst(5))),
            ("nothing after the header", sealed(Array(body.prefix(5)))),
            ("the last listing cut short", sealed(Array(body.dropLast(1)))),
        ]
        for (what, bytes) in cases {
            #expect(throws: DeltaSyncError.self, "\(what)") {
                try ScanMemory.decoded(bytes, root: tree.path, ignoreRules: IgnoreRules())
            }
        }
    }
}
