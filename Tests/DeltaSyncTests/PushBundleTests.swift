import Glibc
import Testing

@testable import DeltaSync

/// Push bundles planned from two real trees, applied as one batch, and refused whole when anything is wrong.
@Suite struct PushBundleTests {
    let local: TemporaryDirectory
    let server: TemporaryDirectory

    init() throws {
        local = try TemporaryDirectory()
        server = try TemporaryDirectory()
        for tree in [local, server] {
            try FileTree.makeDirectories(tree.file("pkg/sub"))
            try FileTree.makeDirectories(tree.file("old"))
            try FileTree.write(Array("print('v1')\n".utf8), to: tree.file("app.py"))
            try FileTree.write(SeededGenerator.bytes(seed: 51, count: 200_000), to: tree.file("pkg/data.bin"))
            try FileTree.write(Array("gone".utf8), to: tree.file("old/file.txt"))
            try FileTree.write(Array("#!/bin/sh\n".utf8), to: tree.file("run.sh"))
            #expect(symlink("pkg", tree.file("link")) == 0)
        }
        // Local edits: modify, create, delete, exec bit, a kind change, a retargeted link.
        try FileTree.write(Array("print('v2')\n".utf8), to: local.file("app.py"))
        var data = try FileTree.read(local.file("pkg/data.bin"))
        data.replaceSubrange(100_000..<100_010, with: Array("0123456789abcdef".utf8))
        try FileTree.write(data, to: local.file("pkg/data.bin"))
        try FileTree.write(Array("new".utf8), to: local.file("pkg/sub/new.txt"))
        try FileTree.makeDirectories(local.file("fresh/deeper"))
        try FileTree.write(Array("deep".utf8), to: local.file("fresh/deeper/x.txt"))
        try FileTree.removeRecursively(local.file("old"))
        #expect(chmod(local.file("run.sh"), 0o755) == 0)
        try FileTree.removeRecursively(local.file("link"))
        #expect(symlink("pkg/sub", local.file("link")) == 0)
    }

    func manifest(_ tree: TemporaryDirectory) throws -> Manifest {
        var scanner = try TreeScanner(root: tree.path)
        return try scanner.scan().manifest
    }

    /// Everything about a tree but modification times (a rollback restores content, not directory times).
    func content(_ tree: TemporaryDirectory) throws -> [String] {
        try manifest(tree).entries.map { "\($0.path) \($0.kind) \(String($0.mode, radix: 8)) \($0.digest?.hex ?? "") \($0.symlinkTarget ?? "")" }
    }

    func plan(signatures: Bool = true) throws -> PushPlanner.Plan {
        let remote = try manifest(server)
        var known: [PathKey: Signature] = [:]
        if signatures {
            for entry in remote.entries where entry.kind == .file {
                known[PathKey(entry.path)] = try Signature(file: server.file(entry.path))
            }
        }
        return try PushPlanner(localRoot: local.path).plan(local: manifest(local), remote: remote, signatures: known)
    }

    /// Applies `bundle` and expects it to be refused with `code`, leaving the server exactly as it was.
    func expectRefused(_ bundle: [UInt8], _ code: DeltaSyncError.Code, _ comment: Comment? = nil) throws {
        let before = try content(server)
        let error = Result { () throws(DeltaSyncError) in
            try BundleApplier(root: server.path).apply(PushBundle(decoding: bundle))
        }.failure
        #expect(error?.code == code, comment)
        #expect(try content(server) == before, "the server changed")
        #expect(try server.names().allSatisfy { !$0.hasPrefix(BundleApplier.stagingPrefix) }, "staging left behind")
    }

    @Test func aPlannedBundleBringsTheServerToTheLocalState() throws {
        let plan = try plan()
        let encoded = plan.bundle.encoded()
        #expect(try PushBundle(decoding: encoded) == plan.bundle)
        let result = try BundleApplier(root: server.path).apply(PushBundle(decoding: encoded))
        #expect(try manifest(server).rootDigest == manifest(local).rootDigest)
        #expect(Set(result.paths) == Set(plan.items.map(\.path)))
        let data = try #require(plan.items.first { $0.path == "pkg/data.bin" })
        #expect(data.form == .delta)
        #expect(data.sentBytes < 2000, "a 16-byte change to 200 KB travels as a small delta")
        #expect(plan.items.first { $0.path == "old" }?.change == .deleted)
        #expect(try server.names().allSatisfy { !$0.hasPrefix(BundleApplier.stagingPrefix) })
    }

    @Test func aConflictNamesEveryConflictedPathAndTheRestCompletesWithTheirRetry() throws {
        let stale = try plan()
        // Someone else changes two of the files this push expects.
        try FileTree.write(Array("print('theirs')\n".utf8), to: server.file("app.py"))
        try FileTree.write(Array("#!/bin/sh\necho theirs\n".utf8), to: server.file("run.sh"))
        let before = try content(server)
        var refusal: DeltaSyncError?
        do { _ = try BundleApplier(root: server.path).apply(stale.bundle) } catch { refusal = error }
        #expect(refusal?.code == .conflict)
        #expect(refusal?.conflictedPaths == ["app.py", "run.sh"])
        #expect(try content(server) == before)
        // The retry carries only those two paths, planned against what the server has now; with the operations
        // held from the refused push, it brings the server to the local tree.
        let held = stale.bundle.operations.filter { !["app.py", "run.sh"].contains($0.path) }
        let retry = try plan().bundle.operations.filter { ["app.py", "run.sh"].contains($0.path) }
        _ = try BundleApplier(root: server.path).apply(try PushBundle(operations: retry).completing(held))
        #expect(try manifest(server).rootDigest == manifest(local).rootDigest)
    }

    @Test func withoutSignaturesFilesTravelWholeAndStillApply() throws {
        let plan = try plan(signatures: false)
        _ = try BundleApplier(root: server.path).apply(plan.bundle)
        #expect(try manifest(server).rootDigest == manifest(local).rootDigest)
    }

    @Test func aDryRunChangesNothing() throws {
        let before = try manifest(server)
        let result = try BundleApplier(root: server.path).apply(try plan().bundle, dryRun: true)
        #expect(result.dryRun)
        #expect(!result.entries.isEmpty)
        #expect(try manifest(server) == before)
    }

    @Test func aStalePushIsRefusedWholeWhenTheServerChanged() throws {
        let plan = try plan()
        // Someone else changed a file after the plan was made: its precondition no longer holds.
        try FileTree.write(Array("print('other')\n".utf8), to: server.file("app.py"))
        let error = Result { () throws(DeltaSyncError) in try BundleApplier(root: server.path).apply(plan.bundle) }.failure
        #expect(error?.code == .conflict)
        #expect(error?.message.contains("app.py") == true)
        #expect(error?.message.contains("--resync") == true)
        #expect(try FileTree.read(server.file("pkg/data.bin")) == SeededGenerator.bytes(seed: 51, count: 200_000))
        #expect(try FileTree.read(server.file("old/file.txt")) == Array("gone".utf8))
    }

    @Test func hostilePathsAndLinksAreRefusedAndNothingChanges() throws {
        let fromNothing = Delta.make(signature: Signature(bytes: []), bytes: Array("x".utf8)).delta
        func file(_ path: String, expected: EntryState = .absent) -> [UInt8] {
            var writer = ByteWriter()
            writer.bytes(PushBundle.magic); writer.byte(PushBundle.version); writer.varint(0)
            writer.byte(1); writer.lengthPrefixed(Array(path.utf8)); expected.write(to: &writer)
            writer.varint(0o644); writer.lengthPrefixed(fromNothing)
            writer.byte(0); writer.varint(1)
            return writer.bytes
        }
        for path in ["../x", "/etc/passwd", "a/../../x", "a\u{0}b", String(repeating: "n", count: 300), "./app.py", "pkg//x"] {
            try expectRefused(file(path), .invalidPath, "\(RelativePath.quoted(path))")
        }
        var invalidUTF8 = file("ab")
        invalidUTF8[8] = 0xFF
        try expectRefused(invalidUTF8, .invalidPath)
        // A symlink inside the app that points outside, and a write through it.
        #expect(symlink("/tmp", server.file("escape")) == 0)
        try expectRefused(file("escape/owned.txt"), .invalidPath)
        // Links may only point inside the app.
        for target in ["/etc", "../../outside", "pkg/../../../x"] {
            try expectRefused(
                PushBundle(operations: [.symlink(path: "pkg/l", expected: .absent, target: target)]).encoded(), .invalidPath,
                "link to \(target)")
        }
        // Duplicate paths in one bundle.
        try expectRefused(
            PushBundle(operations: [
                .file(path: "n.txt", expected: .absent, mode: 0o644, delta: fromNothing),
                .file(path: "n.txt", expected: .absent, mode: 0o644, delta: fromNothing),
            ]).encoded(), .invalidArgument)
        // Overwriting a file the client did not know about; creating under a missing directory.
        try expectRefused(file("app.py"), .conflict)
        try expectRefused(file("missing/x.txt"), .conflict)
        // The staging area is off limits.
        try expectRefused(file(BundleApplier.stagingPrefix + "x"), .invalidPath)
        // Deleting a directory that still holds files.
        try expectRefused(PushBundle(operations: [.delete(path: "pkg", expected: .directory)]).encoded(), .conflict)
    }

    @Test func brokenBundlesAreRefusedAndNothingChanges() throws {
        let good = try plan().bundle.encoded()
        for cut in stride(from: 0, to: good.count, by: max(1, good.count / 200)) {
            try expectRefused(Array(good[..<cut]), cut < 5 ? .corrupt : .truncated, "cut at \(cut)")
        }
        try expectRefused(good + [0], .corrupt)
        // A literal that inflates far beyond its declared size.
        let zeros = [UInt8](repeating: 0, count: 200_000)
        let bomb = try #require(zeros.withUnsafeBytes { LiteralCompressor().compress($0, dictionary: UnsafeRawBufferPointer(start: nil, count: 0)) })
        var delta = ByteWriter()
        delta.bytes(DeltaFormat.magic); delta.byte(DeltaFormat.version); delta.varint(256); delta.varint(0)
        delta.bytes(FileDigest(of: []).bytes)
        delta.byte(DeltaFormat.deflatedLiteral); delta.varint(1000); delta.varint(bomb.count); delta.bytes(bomb)
        delta.byte(DeltaFormat.end); delta.varint(1000); delta.bytes(FileDigest(of: Array(zeros[..<1000])).bytes)
        try expectRefused(
            PushBundle(operations: [.file(path: "bomb.bin", expected: .absent, mode: 0o644, delta: delta.bytes)]).encoded(),
            .corrupt)
        // A delta whose rebuilt file is not what it promises.
        var lying = Delta.make(signature: Signature(bytes: []), bytes: Array("honest".utf8)).delta
        lying[lying.count - 1] ^= 1
        try expectRefused(
            PushBundle(operations: [.file(path: "lie.txt", expected: .absent, mode: 0o644, delta: lying)]).encoded(),
            .digestMismatch)
    }

    /// Found by the push-bundle fuzzer: a 125-byte bundle whose delta length claimed 8 GiB made the decoder
    /// allocate and zero 8 GiB before it noticed the bytes were not there.
    @Test func aLengthPrefixThatLiesAllocatesNothing() throws {
        var writer = ByteWriter()
        writer.bytes(PushBundle.magic); writer.byte(PushBundle.version); writer.varint(0)
        writer.byte(1); writer.lengthPrefixed(Array("big.bin".utf8)); writer.byte(0); writer.varint(0o644)
        writer.varint(UInt64(PushBundle.maximumDeltaLength))  // the delta's claimed length: 16 GiB
        writer.bytes(Array("FPDL".utf8))
        #expect(throws: DeltaSyncError.self) { try PushBundle(decoding: writer.bytes) }
        do {
            _ = try PushBundle(decoding: writer.bytes)
        } catch {
            #expect(error.code == .truncated, "\(error)")
        }
    }

    @Test func anInterruptedCommitIsRolledBackByRecovery() throws {
        let plan = try plan()
        let before = try content(server)
        // Stage the bundle as a dry run would, then replay its commit halfway by hand, as a crash would leave it.
        let staging = server.file(BundleApplier.stagingPrefix + "crashed")
        #expect(mkdir(staging, 0o700) == 0)
        var steps: [CommitAction] = []
        for (index, operation) in plan.bundle.operations.enumerated() {
            switch operation {
            case .delete(let path, _): steps.append(.remove(path: path, backup: "b\(index)"))
            case .file(let path, let expected, let mode, let delta):
                // A delta from nothing (basisSize 0) is a whole upload, also over a file: app.py goes whole.
                let fromNothing = try expected == .absent || Delta.basisSize(of: delta) == 0
                let rebuilt = try Patch.apply(basis: fromNothing ? [] : FileTree.read(server.file(path)), delta: delta)
                try FileTree.write(rebuilt, to: staging + "/s\(index)", mode: mode)
                steps.append(.place(path: path, staged: "s\(index)", backup: expected == .absent ? nil : "b\(index)"))
            case .directory(let path, let mode): steps.append(.makeDirectory(path: path, mode: mode))
            case .mode(let path, _, let mode): steps.append(.changeMode(path: path, from: 0o644, to: mode))
            case .symlink: continue
            }
        }
        try FileTree.write(CommitJournal(actions: steps).encoded(), to: staging + "/" + CommitJournal.fileName)
        for step in steps.prefix(steps.count / 2 + 1) {
            do { try step.perform(root: server.path, staging: staging) } catch { break }
        }
        #expect(try content(server) != before, "the half-done commit changed the tree")
        #expect(try BundleApplier(root: server.path).recover() == 1)
        #expect(try content(server) == before)
        #expect(try server.names().allSatisfy { !$0.hasPrefix(BundleApplier.stagingPrefix) })
    }

    @Test func theCallerSeesTheTreeAsThePushWillLeaveItBeforeAnythingChanges() throws {
        let plan = try plan()
        let before = try content(server)
        var seen: [String: [UInt8]?] = [:]
        let refusal = Result { () throws(DeltaSyncError) in
            try BundleApplier(root: server.path).apply(plan.bundle) { (tree: StagedTree) throws(DeltaSyncError) in
                for path in ["app.py", "pkg/sub/new.txt", "run.sh", "missing.txt"] { seen[path] = try tree.contents(of: path) }
                #expect(throws: DeltaSyncError.self) { try tree.contents(of: "link") }
                #expect(throws: DeltaSyncError.self) { try tree.contents(of: "pkg/data.bin", limit: 1000) }
                throw DeltaSyncError(.invalidArgument, "refused by the caller")
            }
        }.failure
        #expect(refusal?.message == "refused by the caller")
        #expect(seen["app.py"] == Array("print('v2')\n".utf8), "staged content of a patched file")
        #expect(seen["pkg/sub/new.txt"] == Array("new".utf8), "staged content of a new file")
        #expect(seen["run.sh"] == Array("#!/bin/sh\n".utf8), "an untouched file as it is on disk")
        #expect(seen["missing.txt"] == .some(nil))
        #expect(try content(server) == before, "a refusing caller leaves the tree as it was")
        #expect(try server.names().allSatisfy { !$0.hasPrefix(BundleApplier.stagingPrefix) })
    }
}
