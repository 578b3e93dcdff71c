import Testing

@testable import DeltaSync

/// The diff descends only into directories whose digests differ: it must find exactly what a walk of every entry of
/// both manifests finds.
@Suite struct ManifestDiffTests {
    /// The plain reference: one merge over both sorted entry lists, comparing every entry.
    static func mergedDiff(_ new: Manifest, from old: Manifest) -> ManifestDiff {
        var diff = ManifestDiff()
        var (oldIndex, newIndex) = (0, 0)
        while oldIndex < old.entries.count || newIndex < new.entries.count {
            guard newIndex < new.entries.count else {
                diff.removed += old.entries[oldIndex...]
                break
            }
            guard oldIndex < old.entries.count else {
                diff.added += new.entries[newIndex...]
                break
            }
            let (before, after) = (old.entries[oldIndex], new.entries[newIndex])
            let order = RelativePath.compareBytes(before.path, after.path)
            if order < 0 {
                diff.removed.append(before)
                oldIndex += 1
                continue
            }
            if order > 0 {
                diff.added.append(after)
                newIndex += 1
                continue
            }
            if before.kind != after.kind {
                diff.removed.append(before)
                diff.added.append(after)
            } else if !after.hasSameContent(as: before) {
                diff.modified.append(after)
            } else if after.kind != .directory && after.isExecutable != before.isExecutable {
                diff.modeChanged.append(after)
            }
            oldIndex += 1
            newIndex += 1
        }
        return diff
    }

    static func paths(_ diff: ManifestDiff) -> [[[UInt8]]] {
        [diff.added, diff.modified, diff.removed, diff.modeChanged].map { $0.map { Array($0.path.utf8) } }
    }

    @Test(arguments: 0..<40) func findsWhatAWalkOfEveryEntryFinds(seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed))
        let entries = TreeDifferenceTests.randomTree(&generator, files: 300)
        let old = try Manifest(entries: entries)
        let new = try TreeDifferenceTests.mutated(entries, &generator, count: 1 + seed % 25)
        for (to, from) in [(new, old), (old, new), (new, new), (new, Manifest.empty), (Manifest.empty, new)] {
            let diff = to.diff(from: from)
            #expect(Self.paths(diff) == Self.paths(Self.mergedDiff(to, from: from)))
            #expect(diff == Self.mergedDiff(to, from: from))
        }
    }

    /// `a.txt` sorts between `a` and `a/b`, so what is under a directory does not always follow it.
    @Test func aChangeUnderADirectoryWhoseSiblingSortsInsideItsRunIsFound() throws {
        func file(_ path: String, _ byte: UInt8) -> ManifestEntry {
            ManifestEntry(path: path, kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [byte]))
        }
        let directory = ManifestEntry(path: "a", kind: .directory, mode: 0o755)
        let old = try Manifest(entries: [directory, file("a.txt", 1), file("a/b", 1), file("a/c", 1)])
        let new = try Manifest(entries: [directory, file("a.txt", 1), file("a/b", 2), file("a/c", 1), file("a/d", 1)])
        let diff = new.diff(from: old)
        #expect(diff.modified.map(\.path) == ["a/b"] && diff.added.map(\.path) == ["a/d"])
        #expect(diff.removed.isEmpty && diff.modeChanged.isEmpty)
    }

    /// A link target is bytes: one spelled in NFC and the same in NFD are two targets.
    @Test func aLinkTargetChangedOnlyInItsUnicodeFormIsAChange() throws {
        func link(_ target: String) -> ManifestEntry {
            ManifestEntry(path: "link", kind: .symlink, size: target.utf8.count, mode: 0o777, symlinkTarget: target)
        }
        let diff = try Manifest(entries: [link("cafe\u{301}")]).diff(from: Manifest(entries: [link("caf\u{E9}")]))
        #expect(diff.modified.count == 1)
    }
}
