import Glibc
import Testing

@testable import DeltaSync

/// The stat cache's file form: what a scan learned survives a round trip, and a damaged, foreign or misplaced file
/// is refused whole rather than trusted.
@Suite struct StatCacheFileTests {
    let tree: TemporaryDirectory

    init() throws {
        tree = try TemporaryDirectory()
        try FileTree.makeDirectories(tree.file("src/lib"))
        try FileTree.write(Array("print('hi')\n".utf8), to: tree.file("app.py"))
        try FileTree.write(Array("lib".utf8), to: tree.file("src/lib/util.py"))
        // Names Unicode calls equal are two files, each with its own entry.
        try FileTree.write(Array("composed".utf8), to: tree.file("caf\u{E9}.txt"))
        try FileTree.write(Array("decomposed".utf8), to: tree.file("cafe\u{301}.txt"))
    }

    /// A cache that remembers every file of the tree (the files were just written: no racy interval).
    func scannedCache() throws -> StatCache<FileDigest> {
        var cache = StatCache<FileDigest>()
        cache.racyInterval = 0
        var scanner = try TreeScanner(root: tree.path, cache: cache)
        _ = try scanner.scan()
        #expect(scanner.cache.count == 4)
        return scanner.cache
    }

    @Test func aDecodedCacheVouchesForEveryFileAsTheOriginalDid() throws {
        let bytes = try scannedCache().encoded(root: tree.path)
        var loaded = try StatCache<FileDigest>(decoding: bytes, root: tree.path)
        #expect(loaded.count == 4)
        #expect(loaded.encoded(root: tree.path) == bytes)
        loaded.racyInterval = 0
        var scanner = try TreeScanner(root: tree.path, cache: loaded)
        let scan = try scanner.scan()
        #expect(scan.hashedFiles == 0, "every digest came from the decoded cache")
        #expect(scan.manifest["cafe\u{301}.txt"]?.digest == FileDigest(of: Array("decomposed".utf8)))
        #expect(scan.manifest["caf\u{E9}.txt"]?.digest == FileDigest(of: Array("composed".utf8)))
    }

    @Test func anEmptyCacheRoundTrips() throws {
        let bytes = StatCache<FileDigest>().encoded(root: tree.path)
        #expect(try StatCache<FileDigest>(decoding: bytes, root: tree.path).count == 0)
    }

    @Test func everyTruncationAndEveryFlippedByteIsRefused() throws {
        let bytes = try scannedCache().encoded(root: tree.path)
        for length in 0..<bytes.count {
            #expect(throws: DeltaSyncError.self, "cut at \(length)") {
                try StatCache<FileDigest>(decoding: Array(bytes[..<length]), root: tree.path)
            }
        }
        for position in bytes.indices {
            var damaged = bytes
            damaged[position] ^= 0x01
            #expect(throws: DeltaSyncError.self, "byte \(position) flipped") {
                try StatCache<FileDigest>(decoding: damaged, root: tree.path)
            }
        }
        #expect(throws: DeltaSyncError.self) { try StatCache<FileDigest>(decoding: bytes + [0], root: tree.path) }
    }

    @Test func aCacheOfAnotherDirectoryIsRefused() throws {
        let bytes = try scannedCache().encoded(root: tree.path)
        let error = #expect(throws: DeltaSyncError.self) { try StatCache<FileDigest>(decoding: bytes, root: tree.path + "/src") }
        #expect(error?.message.contains("another directory") == true)
    }

    /// Bytes with a valid checksum but impossible content (another format, paths out of order, a lying prefix):
    /// the checksum guards against damage, the decoder against everything else.
    @Test func wellSealedNonsenseIsRefused() throws {
        func sealed(_ body: [UInt8]) -> [UInt8] { body + FileDigest(of: body).bytes }
        var writer = ByteWriter()
        writer.bytes(Array("FPSC".utf8))
        writer.byte(1)
        writer.lengthPrefixed(Array(tree.path.utf8))
        let header = writer.bytes
        func entry(_ writer: inout ByteWriter, shared: Int, suffix: String) {
            writer.varint(shared)
            writer.lengthPrefixed(Array(suffix.utf8))
            for _ in 0..<3 { writer.varint(1) }
            writer.signedVarint(1)
            writer.signedVarint(1)
            writer.bytes([UInt8](repeating: 7, count: 16))
        }
        var outOfOrder = ByteWriter()
        outOfOrder.bytes(header)
        outOfOrder.varint(2)
        entry(&outOfOrder, shared: 0, suffix: "b")
        entry(&outOfOrder, shared: 0, suffix: "a")
        var duplicate = ByteWriter()
        duplicate.bytes(header)
        duplicate.varint(2)
        entry(&duplicate, shared: 0, suffix: "a")
        entry(&duplicate, shared: 1, suffix: "")
        var lyingPrefix = ByteWriter()
        lyingPrefix.bytes(header)
        lyingPrefix.varint(1)
        entry(&lyingPrefix, shared: 3, suffix: "a")
        var hugeCount = ByteWriter()
        hugeCount.bytes(header)
        hugeCount.varint(UInt64.max)
        let cases: [(String, [UInt8])] = [
            ("a manifest's magic", sealed(Array("FPMF".utf8) + [1])), ("version 2", sealed(Array("FPSC".utf8) + [2])),
            ("paths out of order", sealed(outOfOrder.bytes)), ("a path twice", sealed(duplicate.bytes)),
            ("a prefix longer than the previous path", sealed(lyingPrefix.bytes)), ("a huge count", sealed(hugeCount.bytes)),
            ("no entries after the count", sealed(header + [1])),
        ]
        for (what, bytes) in cases {
            #expect(throws: DeltaSyncError.self, "\(what)") { try StatCache<FileDigest>(decoding: bytes, root: tree.path) }
        }
        var badPath = ByteWriter()
        badPath.bytes(header)
        badPath.varint(1)
        badPath.varint(0)
        badPath.lengthPrefixed([0xC3, 0x28])
        #expect(throws: DeltaSyncError.self) { try StatCache<FileDigest>(decoding: sealed(badPath.bytes), root: tree.path) }
    }
}
