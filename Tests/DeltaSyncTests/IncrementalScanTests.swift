import Glibc
import PropertyBased
import Testing

@testable import DeltaSync

/// A scan after another reuses what did not change since (directory listings, entries, directory digests); what it
/// returns must be exactly what a first scan of the same tree returns, whatever changed in between.
@Suite struct IncrementalScanTests {
    let tree: TemporaryDirectory

    init() throws {
        tree = try TemporaryDirectory()
    }

    /// Long enough for the coarse clock that stamps file times (a few milliseconds) to move on, short enough for
    /// many scans.
    static let racyInterval: Int64 = 20_000_000

    /// Names that sort on either side of `/` (`a.b`, `a-b` before `a/…`; `a0` after), and one name spelled in NFC
    /// and NFD: two files for Linux, one `String` for Swift.
    static let names = ["a", "a.b", "a-b", "a0", "b.txt", "caf\u{E9}.txt", "cafe\u{301}.txt", "d"]
    static let targets = ["caf\u{E9}", "cafe\u{301}", "a/b", "../outside", "d"]

    @Test func aRescanAfterRandomEditsEqualsAFreshScan() async {
        await propertyCheck(count: 20, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            do {
                try Self.editAndCompare(seed: UInt64(seed))
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    static func editAndCompare(seed: UInt64) throws {
        let tree = try TemporaryDirectory()
        var random = SeededGenerator(seed: seed)
        var scanner = try TreeScanner(root: tree.path)
        scanner.cache.racyInterval = racyInterval
        var current = try freshScan(of: tree.path)
        for step in 0..<12 {
            for _ in 0..<(1 + Int(random.next() % 3)) {
                if try edit(tree, current, random: &random) { current = try freshScan(of: tree.path) }
            }
            // Mostly let the edits settle, so that the rescan reuses all it can; sometimes scan at once.
            let settled = random.next() % 4 != 0
            if settled { usleep(UInt32(2 * racyInterval / 1000)) }
            let rescan = try scanner.scan()
            current = try freshScan(of: tree.path)
            expectSame(rescan.manifest, current.manifest, "seed \(seed), step \(step)")
            #expect(rescan.skipped == current.skipped, "seed \(seed), step \(step)")
            // Scanned at once, a file edited just before may have settled by the time the fresh scan starts (on a
            // loaded machine): the rescan then vouches for fewer files, never for more.
            #expect(
                settled ? scanner.cache.count == current.cache.count : scanner.cache.count <= current.cache.count,
                "seed \(seed), step \(step): the stat cache holds the files kept")
            #expect(rescan.hashedFiles <= current.hashedFiles)
        }
    }

    /// What a scanner that never scanned before finds, and the stat cache it is left with.
    typealias FreshScan = (manifest: Manifest, skipped: [TreeScanner.SkippedEntry], cache: StatCache<FileDigest>, hashedFiles: Int)

    static func freshScan(of root: String) throws -> FreshScan {
        var scanner = try TreeScanner(root: root)
        scanner.cache.racyInterval = racyInterval
        let result = try scanner.scan()
        return (result.manifest, result.skipped, scanner.cache, result.hashedFiles)
    }

    /// The same entries byte for byte (`String`'s `==` calls NFC and NFD spellings equal), at the same positions,
    /// with the same directory digests.
    static func expectSame(_ rescanned: Manifest, _ fresh: Manifest, _ context: String) {
        #expect(rescanned.entries.count == fresh.entries.count, "\(context)")
        for (position, (left, right)) in zip(rescanned.entries, fresh.entries).enumerated() {
            let same =
                Array(left.path.utf8) == Array(right.path.utf8) && left.kind == right.kind && left.size == right.size
                && left.mode == right.mode && left.modificationTime == right.modificationTime && left.digest == right.digest
                && left.symlinkTarget.map { Array($0.utf8) } == right.symlinkTarget.map { Array($0.utf8) }
            #expect(same, "\(context): \(left) where a fresh scan has \(right)")
            #expect(rescanned.position(of: left.path) == position, "\(context): \(left.path) is found where it is")
        }
        #expect(rescanned.rootDigest == fresh.rootDigest, "\(context)")
        #expect(rescanned.directoryDigests() == fresh.directoryDigests(), "\(context)")
    }

    /// One random edit of the tree whose last fresh scan is `current`; false if the one drawn does not apply.
    static func edit(_ tree: TemporaryDirectory, _ current: FreshScan, random: inout SeededGenerator) throws -> Bool {
        let entries = current.manifest.entries
        func pick(_ kind: ManifestEntry.Kind) -> ManifestEntry? {
            let found = entries.filter { $0.kind == kind }
            return found.isEmpty ? nil : found[Int(random.next() % UInt64(found.count))]
        }
        func newPath() -> String {
            let directories = [""] + entries.filter { $0.kind == .directory }.map(\.path)
            let directory = directories[Int(random.next() % UInt64(directories.count))]
            return RelativePath.join(directory, names[Int(random.next() % UInt64(names.count))])
        }
        func isFree(_ path: String) -> Bool {
            do { return try SystemCall.lstatIfPresent(tree.file(path)) == nil } catch { return false }
        }
        switch random.next() % 10 {
        case 0:  // a new file
            let path = newPath()
            guard isFree(path) else { return false }
            try FileTree.write(random.bytes(Int(random.next() % 200)), to: tree.file(path))
        case 1:  // new content of the same size, written in place, its modification time put back
            guard let file = pick(.file), file.size > 0 else { return false }
            let original = try SystemCall.lstat(tree.file(file.path))
            let descriptor = open(tree.file(file.path), O_WRONLY)
            #expect(descriptor >= 0)
            let bytes = random.bytes(file.size)
            #expect(bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } == file.size)
            close(descriptor)
            var times = [original.st_atim, original.st_mtim]
            #expect(utimensat(AT_FDCWD, tree.file(file.path), &times, AT_SYMLINK_NOFOLLOW) == 0)
        case 2:  // a file renamed, perhaps into another directory
            guard let file = pick(.file) else { return false }
            let path = newPath()
            guard isFree(path) else { return false }
            try SystemCall.rename(tree.file(file.path), tree.file(path))
        case 3:  // a file deleted
            guard let file = pick(.file) else { return false }
            SystemCall.unlink(tree.file(file.path))
        case 4:  // a new directory with a file in it
            let path = newPath()
            guard isFree(path) else { return false }
            try FileTree.makeDirectories(tree.file(path))
            try FileTree.write(random.bytes(Int(random.next() % 50)), to: tree.file(path + "/" + names[0]))
        case 5:  // a directory deleted with all it holds
            guard let directory = pick(.directory) else { return false }
            try FileTree.removeRecursively(tree.file(directory.path))
        case 6:  // the executable bit flipped, the modification time put back
            guard let file = pick(.file) else { return false }
            let original = try SystemCall.lstat(tree.file(file.path))
            #expect(chmod(tree.file(file.path), (original.st_mode & 0o777) ^ 0o100) == 0)
            var times = [original.st_atim, original.st_mtim]
            #expect(utimensat(AT_FDCWD, tree.file(file.path), &times, AT_SYMLINK_NOFOLLOW) == 0)
        case 7:  // a symlink made or pointed elsewhere (NFC and NFD targets differ in bytes only)
            let path = pick(.symlink)?.path ?? newPath()
            if current.manifest[path]?.kind == .symlink { SystemCall.unlink(tree.file(path)) }
            guard isFree(path) else { return false }
            #expect(symlink(targets[Int(random.next() % UInt64(targets.count))], tree.file(path)) == 0)
        case 8:  // a file replaced by an empty directory of its name, or an empty directory by a file
            if random.next() % 2 == 0, let file = pick(.file) {
                SystemCall.unlink(tree.file(file.path))
                try FileTree.makeDirectories(tree.file(file.path))
            } else if let directory = pick(.directory),
                try SystemCall.directoryNames(tree.file(directory.path)).isEmpty
            {
                #expect(rmdir(tree.file(directory.path)) == 0)
                try FileTree.write(random.bytes(3), to: tree.file(directory.path))
            } else {
                return false
            }
        default:  // a directory renamed
            guard let directory = pick(.directory) else { return false }
            let path = newPath()
            guard isFree(path), !path.utf8.starts(with: (directory.path + "/").utf8) else { return false }
            try SystemCall.rename(tree.file(directory.path), tree.file(path))
        }
        return true
    }

    @Test func anUnchangedTreeIsNotReadAgain() throws {
        try FileTree.makeDirectories(tree.file("src/lib"))
        try FileTree.write(Array("print('hi')\n".utf8), to: tree.file("app.py"))
        try FileTree.write(Array("lib".utf8), to: tree.file("src/lib/util.py"))
        var scanner = try TreeScanner(root: tree.path)
        scanner.cache.racyInterval = Self.racyInterval
        usleep(UInt32(2 * Self.racyInterval / 1000))
        let first = try scanner.scan()
        #expect(first.hashedFiles == 2)
        // Every entry and every directory's listing had settled: the next scan may take them as they were.
        #expect(scanner.memory?.identities.allSatisfy { $0 != nil } == true)
        #expect(scanner.memory?.listings.count == 3)
        let second = try scanner.scan()
        #expect(second.hashedFiles == 0)
        #expect(second.cachedFiles == 2)
        Self.expectSame(second.manifest, first.manifest, "unchanged")
    }

    @Test func aChangeWithinTheRacyIntervalIsStillSeen() throws {
        try FileTree.makeDirectories(tree.file("src"))
        try FileTree.write(Array("print('hi')\n".utf8), to: tree.file("src/app.py"))
        // The default interval (two seconds, for the coarsest file times): the tree was written just now.
        var scanner = try TreeScanner(root: tree.path)
        let first = try scanner.scan()
        #expect(first.manifest["src/app.py"]?.digest == FileDigest(of: Array("print('hi')\n".utf8)))
        // A file system whose times are coarser than the time between the scan and the next write would show the
        // same times after it: the scan vouches for nothing it saw change so recently, entry or listing.
        #expect(scanner.memory?.identities.allSatisfy { $0 == nil } == true)
        #expect(scanner.memory?.listings.isEmpty == true)
        let original = try SystemCall.lstat(tree.file("src/app.py"))
        let descriptor = open(tree.file("src/app.py"), O_WRONLY)
        #expect(Array("print('ho')\n".utf8).withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } == 12)
        close(descriptor)
        var times = [original.st_atim, original.st_mtim]
        #expect(utimensat(AT_FDCWD, tree.file("src/app.py"), &times, 0) == 0)
        try FileTree.write(Array("new".utf8), to: tree.file("src/new.py"))
        let second = try scanner.scan()
        #expect(second.hashedFiles == 2)
        #expect(second.manifest["src/app.py"]?.digest == FileDigest(of: Array("print('ho')\n".utf8)))
        #expect(second.manifest["src/new.py"] != nil)
    }

    @Test func replacingKeepsPathsAndComputesDigestsAboveTheChange() throws {
        let entries = [
            ManifestEntry(path: "a", kind: .directory, mode: 0o755),
            ManifestEntry(path: "a.b", kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [1])),
            ManifestEntry(path: "a/x", kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [2])),
            ManifestEntry(path: "a/y", kind: .directory, mode: 0o755),
            ManifestEntry(path: "a/y/z", kind: .symlink, size: 1, mode: 0o777, symlinkTarget: "q"),
            ManifestEntry(path: "a0", kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [3])),
        ]
        let manifest = try Manifest(entries: entries)
        for (position, entry) in entries.enumerated() where entry.kind != .directory {
            var changed = entry
            if entry.kind == .file { changed.digest = FileDigest(of: [9]) } else { changed.symlinkTarget = "r" }
            var expected = entries
            expected[position] = changed
            Self.expectSame(try manifest.replacing([(position, changed)]), try Manifest(entries: expected), entry.path)
        }
        var executable = entries[3]
        executable.mode = 0o700
        var expected = entries
        expected[3] = executable
        Self.expectSame(try manifest.replacing([(3, executable)]), try Manifest(entries: expected), "a/y made executable")
        #expect(throws: DeltaSyncError.self) { try manifest.replacing([(0, entries[1])]) }
        let directory = ManifestEntry(path: "a/x", kind: .directory, mode: 0o755)
        #expect(throws: DeltaSyncError.self) { try manifest.replacing([(2, directory)]) }
    }
}
