import DeltaSync
import Dispatch
import Glibc
import Synchronization
import Testing

@testable import Plugin

/// The client's signature store on disk: one file, appended to once per push, that survives damage (rebuilt from
/// what is intact, never trusting the rest), stays under its size cap, and loses nothing when several processes
/// write at once.
@Suite struct SignatureStoreFileTests {
    let directory: String
    var path: String { directory + "/cache/signature-store" }

    init() throws {
        directory = try FileTree.makeTemporaryDirectory(prefix: "fastpush-signature-store")
    }

    /// `count` signatures of distinct random contents of `size` bytes.
    static func signatures(_ count: Int, size: Int = 16 << 10) -> [Signature] {
        (0..<count).map { _ in Signature(bytes: (0..<size).map { _ in UInt8.random(in: 0...255) }) }
    }

    func fileSize() throws -> Int { Int(try SystemCall.lstat(path).st_size) }

    func decodedFile() throws -> (store: SignatureStore, damage: DeltaSyncError?) {
        SignatureStore.decoding(try FileTree.read(path))
    }

    func cleanUp() { try? FileTree.removeRecursively(directory) }

    @Test func signaturesSurviveInOneFileAndComeBackAsTheyWere() throws {
        defer { cleanUp() }
        let stored = Self.signatures(3)
        let writer = SignatureStoreFile(path: path, capacity: 1 << 20)
        #expect(writer.signature(for: stored[0].fileDigest) == nil, "no file yet")
        try writer.add(stored, now: 1_000)
        #expect(try SystemCall.directoryNames(directory + "/cache").count == 1, "one file, created with its folder")

        let reader = SignatureStoreFile(path: path, capacity: 1 << 20)
        for signature in stored {
            #expect(reader.contains(signature.fileDigest))
            #expect(reader.signature(for: signature.fileDigest)?.encoded() == signature.encoded())
        }
        #expect(try decodedFile().damage == nil)
        #expect(try decodedFile().store.entries[stored[1].fileDigest]?.lastUsed == 1_000)
    }

    /// The store indexes the file and reads a signature from it when asked: a record larger than the piece the index
    /// reads at a time comes back whole, and one damaged on disk after it was indexed is never handed out.
    @Test func signaturesAreReadFromTheFileWhenAskedAndCheckedAgain() throws {
        defer { cleanUp() }
        let blocks = 700_000  // 12 bytes a block: a record of 8.4 MB, over the index's 4 MiB pieces
        let large = Signature(
            parameters: try SignatureParameters(blockSize: 256, strongHashLength: 8), fileSize: blocks * 256,
            fileDigest: FileDigest(high: 7, low: 7), weakSums: (0..<blocks).map { UInt32(truncatingIfNeeded: $0 &* 2_654_435_761) },
            strongHashes: (0..<blocks).map { UInt64($0) })
        let small = Self.signatures(2)
        try SignatureStoreFile(path: path, capacity: 64 << 20).add(small + [large], now: 5)

        let reader = SignatureStoreFile(path: path, capacity: 64 << 20)
        #expect(reader.signature(for: large.fileDigest)?.encoded() == large.encoded())
        #expect(reader.signature(for: small[1].fileDigest)?.encoded() == small[1].encoded())

        // One byte of the first record's signature (small[0]: records go in the order given) changed in place, after
        // the index was made.
        let offset = SignatureStore.header.count + 4 + 16 + 8 + 100
        var flipped = try FileTree.read(path)[offset] ^ 0x01
        let descriptor = try SystemCall.open(path, O_WRONLY)
        #expect(pwrite(descriptor, &flipped, 1, off_t(offset)) == 1)
        SystemCall.close(descriptor)
        #expect(try decodedFile().store.entries[small[0].fileDigest] == nil, "the file's first record is damaged")
        #expect(reader.signature(for: small[0].fileDigest) == nil, "its record no longer matches its checksum")
        #expect(reader.signature(for: large.fileDigest)?.encoded() == large.encoded(), "the others are intact")
    }

    /// A push appends its records in one write: the file grows by exactly those records, and a signature the store
    /// already holds is not written again.
    @Test func aPushAppendsItsRecordsAndNothingTwice() throws {
        defer { cleanUp() }
        let first = Self.signatures(2)
        let store = SignatureStoreFile(path: path, capacity: 1 << 20)
        try store.add(first, now: 1)
        let before = try fileSize()
        let more = Self.signatures(1)
        try store.add(first + more, now: 2)
        let expected = SignatureStore.record(
            .init(lastUsed: 2, encodedSignature: more[0].encoded()), digest: more[0].fileDigest)
        #expect(try fileSize() == before + expected.count)
        #expect(Array(try FileTree.read(path)[before...]) == expected)
        try store.add(first + more, now: 3)
        #expect(try fileSize() == before + expected.count, "nothing new, nothing written")
    }

    /// What another process appended since this one read the file is read (just that part) before appending, so
    /// that both are there and nothing is written twice.
    @Test func aWriterCatchesUpWithWhatAnotherAppendedSinceItRead() throws {
        defer { cleanUp() }
        let shared = Self.signatures(1)
        let one = SignatureStoreFile(path: path, capacity: 1 << 20)
        let other = SignatureStoreFile(path: path, capacity: 1 << 20)
        try one.add(Self.signatures(1), now: 1)
        _ = other.contains(shared[0].fileDigest)  // reads the file as it is now
        try one.add(shared, now: 2)
        try other.add(shared + Self.signatures(1), now: 3)
        let (decoded, damage) = try decodedFile()
        #expect(damage == nil)
        #expect(decoded.count == 3)
        #expect(
            decoded.entries[shared[0].fileDigest]?.lastUsed == 2, "the other writer saw it and did not write it again")
        #expect(try fileSize() == decoded.encodedSize, "no record twice")
    }

    /// A torn last record (a writer killed mid-append) or a flipped bit: the records before it are used, the
    /// damaged one and those after it never are, and the next write rebuilds the file from what was intact.
    @Test(arguments: ["torn", "flipped"])
    func aDamagedFileIsNeverTrustedAndIsRebuilt(damage kind: String) throws {
        defer { cleanUp() }
        let stored = Self.signatures(3)
        for (index, signature) in stored.enumerated() {
            try SignatureStoreFile(path: path, capacity: 1 << 20).add([signature], now: UInt64(index))
        }
        var bytes = try FileTree.read(path)
        let recordSize = (bytes.count - SignatureStore.header.count) / 3
        let secondRecord = SignatureStore.header.count + recordSize
        if kind == "torn" {
            bytes.removeLast(recordSize / 2)
        } else {
            bytes[secondRecord + recordSize / 2] ^= 0x10  // inside the second record's signature
        }
        try FileTree.write(bytes, to: path)

        let store = SignatureStoreFile(path: path, capacity: 1 << 20)
        #expect(store.signature(for: stored[0].fileDigest)?.encoded() == stored[0].encoded(), "before the damage")
        if kind == "flipped" { #expect(store.signature(for: stored[1].fileDigest) == nil, "the damaged record") }
        #expect(store.signature(for: stored[2].fileDigest) == nil, "after the damage")

        let added = Self.signatures(1)
        try store.add(added, now: 10)
        let (decoded, left) = try decodedFile()
        #expect(left == nil, "rebuilt: \(String(describing: left))")
        let expected = kind == "torn" ? [stored[0], stored[1], added[0]] : [stored[0], added[0]]
        #expect(Set(decoded.entries.keys) == Set(expected.map(\.fileDigest)))
        for signature in expected {
            #expect(decoded.signature(for: signature.fileDigest)?.encoded() == signature.encoded())
        }
    }

    @Test func aFileOfAnotherFormatIsReplaced() throws {
        defer { cleanUp() }
        try FileTree.makeDirectories(directory + "/cache")
        try FileTree.write(Array("FPSS".utf8) + [9] + Array(repeating: 0, count: 100), to: path)
        let store = SignatureStoreFile(path: path, capacity: 1 << 20)
        let added = Self.signatures(1)
        try store.add(added, now: 1)
        let (decoded, damage) = try decodedFile()
        #expect(damage == nil)
        #expect(Array(decoded.entries.keys) == [added[0].fileDigest])
    }

    /// Past the cap, the file is compacted to the most recently used entries that fill three quarters of it, and it
    /// never grows beyond the cap.
    @Test func theFileStaysUnderItsCapAndKeepsTheMostRecentlyUsed() throws {
        defer { cleanUp() }
        let stored = Self.signatures(40, size: 8 << 10)
        let recordSize = SignatureStore.record(
            .init(lastUsed: 0, encodedSignature: stored[0].encoded()), digest: stored[0].fileDigest
        ).count
        let capacity = SignatureStore.header.count + 10 * recordSize
        let inUse = stored[0].fileDigest
        for (index, signature) in stored.enumerated() {
            try SignatureStoreFile(path: path, capacity: capacity).add(
                [signature], inUse: [inUse], now: UInt64(100 + index))
            #expect(try fileSize() <= capacity, "after \(index + 1)")
        }
        let (decoded, damage) = try decodedFile()
        #expect(damage == nil)
        #expect(decoded.contains(stored[39].fileDigest) && decoded.contains(stored[38].fileDigest), "the newest")
        #expect(!decoded.contains(stored[1].fileDigest), "an old one")
        #expect(decoded.contains(inUse), "content a server holds now, although stored first")
        let kept = decoded.entries.keys.compactMap { digest in stored.firstIndex { $0.fileDigest == digest } }.sorted()
        let newest = Array(kept.dropFirst())
        #expect(
            kept.first == 0 && newest.count >= 6 && newest == Array((40 - newest.count)...39),
            "the newest, without gaps: \(kept)")
    }

    /// Four writers, each with its own descriptor (as four processes), add signatures at once, one append each, while
    /// others read: every signature is in the file afterwards, intact, and no record is there twice.
    @Test func writersAtOnceLoseNothing() throws {
        defer { cleanUp() }
        let perWriter = 25
        let batches = (0..<4).map { _ in Self.signatures(perWriter, size: 9 << 10) }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { writer in
            for (index, signature) in batches[writer].enumerated() {
                let store = SignatureStoreFile(path: path, capacity: 64 << 20)
                _ = store.contains(batches[(writer + 1) % 4][index].fileDigest)
                do { try store.add([signature], now: UInt64(index)) } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let (decoded, damage) = try decodedFile()
        #expect(damage == nil)
        #expect(decoded.count == 4 * perWriter)
        for signature in batches.joined() {
            #expect(decoded.signature(for: signature.fileDigest)?.encoded() == signature.encoded())
        }
        #expect(try fileSize() == decoded.encodedSize, "no record twice, no torn bytes")
    }

    /// Writers at once while the file is being replaced (it starts damaged, so the first writer to get the lock
    /// rebuilds it): the others append to the new file, not the one renamed away.
    @Test func writersAtOnceLoseNothingWhileTheFileIsRebuilt() throws {
        defer { cleanUp() }
        let first = Self.signatures(1)
        try SignatureStoreFile(path: path, capacity: 64 << 20).add(first, now: 1)
        try FileTree.write(try FileTree.read(path) + [1, 2, 3], to: path)  // a torn record after the first
        let batches = (0..<4).map { _ in Self.signatures(10, size: 9 << 10) }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { writer in
            for signature in batches[writer] {
                do { try SignatureStoreFile(path: path, capacity: 64 << 20).add([signature], now: 2) } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let (decoded, damage) = try decodedFile()
        #expect(damage == nil)
        #expect(decoded.count == 41)
        for signature in first + batches.joined() { #expect(decoded.contains(signature.fileDigest)) }
    }

    /// The folder of one file per signature that earlier releases kept is removed once the store is written.
    @Test func theOldFolderOfSignatureFilesIsRemoved() throws {
        defer { cleanUp() }
        let environment = ["FASTPUSH_CACHE_DIR": directory + "/cache"]
        let old = directory + "/cache/signatures"
        try FileTree.makeDirectories(old)
        try FileTree.write([1, 2, 3], to: old + "/0123456789abcdef0123456789abcdef")
        let cache = PushCache(
            endpoint: try ControllerEndpoint(appURL: "http://127.0.0.1:1", token: "t"), environment: environment)
        let stored = Self.signatures(1)
        try cache.store(stored)
        #expect(access(old, F_OK) != 0)
        #expect(cache.hasSignature(for: stored[0].fileDigest))
        #expect(cache.signatureStore.path == directory + "/cache/signature-store")
    }
}
