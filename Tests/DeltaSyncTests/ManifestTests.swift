import Glibc
import Testing

@testable import DeltaSync

/// Scanning real trees, the stat cache, root digests, diffs and the manifest encoding.
@Suite struct ManifestTests {
    let tree: TemporaryDirectory

    init() throws {
        tree = try TemporaryDirectory()
        try FileTree.makeDirectories(tree.file("src/lib"))
        try FileTree.makeDirectories(tree.file(".git/objects"))
        try FileTree.makeDirectories(tree.file("logs"))
        try FileTree.write(Array("print('hi')\n".utf8), to: tree.file("app.py"))
        try FileTree.write(Array("#!/bin/sh\n".utf8), to: tree.file("run.sh"), mode: 0o755)
        try FileTree.write(Array("lib".utf8), to: tree.file("src/lib/util.py"))
        try FileTree.write(Array("ref".utf8), to: tree.file(".git/HEAD"))
        try FileTree.write(Array("debug".utf8), to: tree.file("logs/today.log"))
        try FileTree.write(Array("*.log\nlogs/\n".utf8), to: tree.file(".cfignore"))
        #expect(symlink("src/lib", tree.file("lib")) == 0)
        #expect(symlink("/etc/passwd", tree.file("outside")) == 0)
        #expect(mkfifo(tree.file("pipe"), 0o644) == 0)
    }

    func scan(_ scanner: inout TreeScanner) throws -> TreeScanner.ScanResult { try scanner.scan() }

    @Test func scansFilesDirectoriesAndSymlinksWithoutFollowingThem() throws {
        var scanner = try TreeScanner(root: tree.path)
        let result = try scanner.scan()
        let paths = result.manifest.entries.map(\.path)
        #expect(paths == ["app.py", "lib", "outside", "run.sh", "src", "src/lib", "src/lib/util.py"])
        #expect(result.manifest["lib"]?.kind == .symlink)
        #expect(result.manifest["lib"]?.symlinkTarget == "src/lib")
        #expect(result.manifest["outside"]?.symlinkTarget == "/etc/passwd")
        #expect(result.manifest["run.sh"]?.isExecutable == true)
        #expect(result.manifest["app.py"]?.isExecutable == false)
        #expect(result.manifest["app.py"]?.digest == FileDigest(of: Array("print('hi')\n".utf8)))
        #expect(result.manifest["app.py"]?.size == 12)
        #expect(result.skipped.map(\.path) == ["pipe"])
        #expect(result.hashedFiles == 3)
    }

    @Test func statCacheSkipsUnchangedFilesAndCatchesChangedOnes() throws {
        // The files were just written: let the cache trust anything changed before the scan began.
        var cache = StatCache<FileDigest>()
        cache.racyInterval = 0
        var scanner = try TreeScanner(root: tree.path, cache: cache)
        let first = try scanner.scan()
        #expect(first.hashedFiles == 3)
        let second = try scanner.scan()
        #expect(second.hashedFiles == 0)
        #expect(second.cachedFiles == 3)
        #expect(second.manifest == first.manifest)
        // Same size, new content, the old modification time restored: the inode and change time give it away.
        let original = try SystemCall.lstat(tree.file("app.py"))
        try FileTree.write(Array("print('ho')\n".utf8), to: tree.file("app.py"))
        var times = [original.st_mtim, original.st_mtim]
        #expect(utimensat(AT_FDCWD, tree.file("app.py"), &times, 0) == 0)
        let third = try scanner.scan()
        #expect(third.hashedFiles == 1)
        #expect(third.manifest["app.py"]?.digest == FileDigest(of: Array("print('ho')\n".utf8)))
    }

    @Test func filesChangedDuringTheRacyIntervalAreHashedAgain() throws {
        var scanner = try TreeScanner(root: tree.path)
        _ = try scanner.scan()
        #expect(try scanner.scan().hashedFiles == 3, "just-written files are not trusted from the cache")
    }

    @Test func rootDigestIgnoresTimesButNotContentOrExecBits() throws {
        let copy = try TemporaryDirectory()
        for path in ["app.py", "run.sh", "src/lib/util.py"] {
            try FileTree.makeDirectories(copy.file(String(RelativePath.parent(of: path))))
            let mode = try SystemCall.lstat(tree.file(path)).st_mode & 0o777
            try FileTree.write(try FileTree.read(tree.file(path)), to: copy.file(path), mode: UInt32(mode))
            age(copy.file(path), secondsAgo: 1000)
        }
        #expect(symlink("src/lib", copy.file("lib")) == 0)
        #expect(symlink("/etc/passwd", copy.file("outside")) == 0)
        var original = try TreeScanner(root: tree.path)
        var duplicate = try TreeScanner(root: copy.path)
        let a = try original.scan().manifest
        var b = try duplicate.scan().manifest
        #expect(a.rootDigest == b.rootDigest)
        #expect(a.diff(from: b).isEmpty)
        #expect(chmod(copy.file("app.py"), 0o600) == 0)
        b = try duplicate.scan().manifest
        #expect(a.rootDigest == b.rootDigest, "only the executable bit counts")
        #expect(chmod(copy.file("app.py"), 0o700) == 0)
        b = try duplicate.scan().manifest
        #expect(a.rootDigest != b.rootDigest)
        #expect(b.diff(from: a).modeChanged.map(\.path) == ["app.py"])
    }

    @Test func diffReportsEveryKindOfChange() throws {
        func file(_ path: String, _ content: String, mode: UInt32 = 0o644) -> ManifestEntry {
            ManifestEntry(path: path, kind: .file, size: content.utf8.count, mode: mode, digest: FileDigest(of: Array(content.utf8)))
        }
        let directory = ManifestEntry(path: "d", kind: .directory, mode: 0o755)
        let old = try Manifest(entries: [
            directory, file("d/a", "a"), file("d/b", "b"), file("c", "c"), file("x", "x"), file("m", "m"),
        ])
        let new = try Manifest(entries: [
            directory, file("d/a", "a"), file("d/b", "B"), file("e", "e"),
            ManifestEntry(path: "x", kind: .symlink, size: 1, mode: 0o777, symlinkTarget: "c"), file("m", "m", mode: 0o755),
        ])
        let diff = new.diff(from: old)
        #expect(diff.added.map(\.path) == ["e", "x"])
        #expect(diff.removed.map(\.path) == ["c", "x"])
        #expect(diff.modified.map(\.path) == ["d/b"])
        #expect(diff.modeChanged.map(\.path) == ["m"])
        #expect(new.diff(from: new).isEmpty)
        #expect(Manifest.empty.diff(from: old).removed.count == old.entries.count)
    }

    @Test func manifestsRejectInconsistentEntries() {
        let file = ManifestEntry(path: "a/b", kind: .file, mode: 0o644, digest: FileDigest(of: []))
        #expect(throws: DeltaSyncError.self, "parent missing") { try Manifest(entries: [file]) }
        let parent = ManifestEntry(path: "a", kind: .directory, mode: 0o755)
        #expect(throws: DeltaSyncError.self, "duplicate") { try Manifest(entries: [parent, file, file]) }
        #expect(throws: DeltaSyncError.self, "unsafe path") {
            try Manifest(entries: [ManifestEntry(path: "../a", kind: .directory, mode: 0o755)])
        }
        #expect(throws: DeltaSyncError.self, "file without digest") {
            try Manifest(entries: [ManifestEntry(path: "a", kind: .file, mode: 0o644)])
        }
    }

    @Test func encodingRoundTripsAndRejectsTampering() throws {
        var scanner = try TreeScanner(root: tree.path)
        let manifest = try scanner.scan().manifest
        let encoded = manifest.encoded()
        let decoded = try Manifest(decoding: encoded)
        #expect(decoded == manifest)
        #expect(decoded.rootDigest == manifest.rootDigest)
        for length in 0..<encoded.count {
            #expect(throws: DeltaSyncError.self, "cut at \(length)") { try Manifest(decoding: Array(encoded[..<length])) }
        }
        var random = SeededGenerator(seed: 31)
        for _ in 0..<500 {
            var tampered = encoded
            let position = Int(random.next() % UInt64(encoded.count))
            tampered[position] ^= UInt8(1 + random.next() % 255)
            if let result = try? Manifest(decoding: tampered) {
                // Only fields outside the root digest (times, non-exec mode bits, symlink sizes) may change.
                #expect(result.rootDigest == manifest.rootDigest)
            }
        }
        // A path escaping the root is refused even with a matching root digest.
        var writer = ByteWriter()
        writer.bytes(Manifest.magic); writer.byte(Manifest.version); writer.varint(1)
        writer.varint(0); writer.lengthPrefixed(Array("../x".utf8)); writer.byte(2); writer.varint(0o755); writer.varint(0)
        writer.signedVarint(0); writer.bytes([UInt8](repeating: 0, count: 16))
        #expect(throws: DeltaSyncError.self) { try Manifest(decoding: writer.bytes) }
    }

    @Test func aSymlinkedRootIsFollowedButNothingInside() throws {
        let outer = try TemporaryDirectory()
        #expect(symlink(tree.path, outer.file("app")) == 0)
        var direct = try TreeScanner(root: tree.path)
        var throughLink = try TreeScanner(root: outer.file("app"))
        #expect(try throughLink.scan().manifest == direct.scan().manifest)
        var notADirectory = try TreeScanner(root: tree.file("app.py"), ignoreRules: IgnoreRules())
        #expect(throws: DeltaSyncError.self) { try notADirectory.scan() }
    }

    @Test func parallelHashingGivesTheSameManifest() throws {
        var random = SeededGenerator(seed: 41)
        for index in 0..<300 {
            try FileTree.write(random.bytes(Int(random.next() % 50_000)), to: tree.file("src/f\(index).bin"))
        }
        var single = try TreeScanner(root: tree.path)
        single.hashingThreads = 1
        var parallel = try TreeScanner(root: tree.path)
        parallel.hashingThreads = 4
        let one = try single.scan()
        let four = try parallel.scan()
        #expect(one.manifest == four.manifest)
        #expect(four.hashedFiles == 303)
        #expect(four.manifest["src/f7.bin"]?.digest == FileDigest(of: try FileTree.read(tree.file("src/f7.bin"))))
    }

    @Test func ignoredDirectoriesAreNotEntered() throws {
        // An unreadable ignored directory would fail the scan if it were entered.
        try FileTree.makeDirectories(tree.file("logs/private"))
        #expect(chmod(tree.file("logs"), 0o000) == 0)
        defer { chmod(tree.file("logs"), 0o755) }
        var scanner = try TreeScanner(root: tree.path)
        #expect(try scanner.scan().manifest["logs"] == nil)
        var everything = try TreeScanner(root: tree.path, ignoreRules: IgnoreRules(includeDefaults: false))
        let all = try everything.scan().manifest
        #expect(all[".git/HEAD"] != nil)
        #expect(all[".cfignore"] != nil)
    }
}
