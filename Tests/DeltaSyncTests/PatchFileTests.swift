import Glibc
import Testing

@testable import DeltaSync

/// Patching real files: the new file appears whole and verified, or not at all.
@Suite struct PatchFileTests {
    let directory: TemporaryDirectory
    let old: [UInt8]
    let new: [UInt8]

    init() throws {
        directory = try TemporaryDirectory()
        var random = SeededGenerator(seed: 21)
        old = random.bytes(300_000)
        var edited = old
        edited.replaceSubrange(150_000..<150_100, with: random.bytes(300))
        new = edited
        try FileTree.write(old, to: directory.file("old.bin"), mode: 0o755)
        try FileTree.write(new, to: directory.file("new.bin"))
    }

    func makeDelta() throws -> String {
        let signature = try Signature(file: directory.file("old.bin"))
        _ = try Delta.make(signature: signature, newFile: directory.file("new.bin"), deltaFile: directory.file("delta"))
        return directory.file("delta")
    }

    @Test func patchesToANewFileWithTheBasisMode() throws {
        let summary = try Patch.apply(basisFile: directory.file("old.bin"), deltaFile: try makeDelta(), outputFile: directory.file("out.bin"))
        #expect(try FileTree.read(directory.file("out.bin")) == new)
        #expect(summary.targetDigest == FileDigest(of: new))
        #expect(try SystemCall.lstat(directory.file("out.bin")).st_mode & 0o7777 == 0o755)
        #expect(try directory.names() == ["delta", "new.bin", "old.bin", "out.bin"])
    }

    @Test func patchesInPlaceKeepingTheMode() throws {
        let delta = try makeDelta()
        _ = try Patch.apply(basisFile: directory.file("old.bin"), deltaFile: delta, outputFile: directory.file("old.bin"))
        #expect(try FileTree.read(directory.file("old.bin")) == new)
        #expect(try SystemCall.lstat(directory.file("old.bin")).st_mode & 0o7777 == 0o755)
    }

    @Test func aFailedVerificationLeavesTheOriginalAndNoTemporaryFile() throws {
        let delta = try makeDelta()
        // The same size but different content: the basis check passes, the rebuilt digest cannot.
        var other = old
        other[10] ^= 0xFF
        try FileTree.write(other, to: directory.file("old.bin"), mode: 0o640)
        let before = try directory.names()
        #expect {
            _ = try Patch.apply(basisFile: directory.file("old.bin"), deltaFile: delta, outputFile: directory.file("old.bin"))
        } throws: { ($0 as? DeltaSyncError)?.code == .digestMismatch }
        #expect(try FileTree.read(directory.file("old.bin")) == other)
        #expect(try SystemCall.lstat(directory.file("old.bin")).st_mode & 0o7777 == 0o640)
        #expect(try directory.names() == before)
    }

    @Test func aTruncatedDeltaLeavesTheTargetUntouched() throws {
        let delta = try FileTree.read(try makeDelta())
        try FileTree.write(Array(delta[..<(delta.count / 2)]), to: directory.file("half"))
        try FileTree.write(Array("keep me".utf8), to: directory.file("target"))
        #expect(throws: DeltaSyncError.self) {
            _ = try Patch.apply(basisFile: directory.file("old.bin"), deltaFile: directory.file("half"), outputFile: directory.file("target"))
        }
        #expect(try FileTree.read(directory.file("target")) == Array("keep me".utf8))
        #expect(try directory.names() == ["delta", "half", "new.bin", "old.bin", "target"])
    }

    @Test func writerDiscardsOnDropAndCommitsAtomically() throws {
        do {
            let writer = try AtomicFileWriter(path: directory.file("dropped"))
            try [UInt8](repeating: 1, count: 10).withBytes { (bytes) throws(DeltaSyncError) in try writer.write(bytes) }
        }
        #expect(try SystemCall.lstatIfPresent(directory.file("dropped")) == nil)
        #expect(try directory.names() == ["new.bin", "old.bin"])
        // Large writes bypass the buffer; the content must still be exact.
        let large = [UInt8](repeating: 7, count: 600_000) + new
        try FileTree.write(large, to: directory.file("large"), mode: 0o600)
        #expect(try FileTree.read(directory.file("large")) == large)
        #expect(try SystemCall.lstat(directory.file("large")).st_mode & 0o7777 == 0o600)
    }

    @Test func theLongestAllowedNameCanBeWritten() throws {
        // The temporary name must not grow with the target's, or a 255-byte name could not be written.
        let name = String(repeating: "n", count: 252) + ".py"
        try FileTree.write(new, to: directory.file(name))
        #expect(try FileTree.read(directory.file(name)) == new)
    }

    @Test func missingFilesGiveClearErrors() throws {
        let delta = try makeDelta()
        #expect {
            _ = try Patch.apply(basisFile: directory.file("absent"), deltaFile: delta, outputFile: directory.file("x"))
        } throws: { error in
            let error = error as? DeltaSyncError
            return error?.code == .io && error?.errno == ENOENT && error?.message.contains("absent") == true
        }
        #expect(throws: DeltaSyncError.self) { try Signature(file: directory.path) }
    }
}
