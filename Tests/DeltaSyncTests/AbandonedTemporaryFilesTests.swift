@testable import DeltaSync
import Glibc
import Testing

/// Temporary files that a crash left behind are found anywhere in the tree and removed, and nothing else is.
@Suite struct AbandonedTemporaryFilesTests {
    @Test func onlyTheWritersOwnTemporaryFilesGo() throws {
        let root = try FileTree.makeTemporaryDirectory(prefix: "fastpush-abandoned-test")
        let outside = try FileTree.makeTemporaryDirectory(prefix: "fastpush-abandoned-outside")
        defer {
            try? FileTree.removeRecursively(root)
            try? FileTree.removeRecursively(outside)
        }
        try FileTree.makeDirectories(root + "/a/b")
        let abandoned = [root + "/.fastpush-123-456-7.tmp", root + "/a/b/.fastpush-9-8-7.tmp"]
        let kept = [
            root + "/app.py", root + "/.fastpush-notes.tmp", root + "/a/.fastpush-1-2-3.tmp.bak",
            root + "/a/b/fastpush-1-2-3.tmp",
        ]
        for path in abandoned + kept { try FileTree.write(Array("x".utf8), to: path) }
        // A link to a directory outside is not followed: what is there stays, whatever its name.
        try FileTree.write(Array("x".utf8), to: outside + "/.fastpush-5-5-5.tmp")
        #expect(symlink(outside, root + "/a/link") == 0)
        // Also a writer that is killed mid-way leaves exactly such a file.
        let writer = try AtomicFileWriter(path: root + "/a/new.txt")
        try Array("half".utf8).withBytes { (buffer) throws(DeltaSyncError) in try writer.write(buffer) }

        #expect(try AtomicFileWriter.removeAbandoned(under: root) == abandoned.count + 1)
        for path in abandoned { #expect(access(path, F_OK) != 0, "\(path) is removed") }
        for path in kept { #expect(access(path, F_OK) == 0, "\(path) is kept") }
        #expect(access(outside + "/.fastpush-5-5-5.tmp", F_OK) == 0)
        #expect(access(root + "/a/new.txt", F_OK) != 0, "the interrupted write never became visible")
        writer.discard()
    }
}
