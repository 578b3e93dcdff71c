/// What changed between two manifests of the same tree.
public struct ManifestDiff: Equatable, Sendable {
    /// Entries only in the new manifest (including an entry whose kind changed).
    public var added: [ManifestEntry] = []
    /// New entries whose content changed (a file's bytes, a link's target); a mode change may come along.
    public var modified: [ManifestEntry] = []
    /// Entries only in the old manifest (including an entry whose kind changed).
    public var removed: [ManifestEntry] = []
    /// New entries whose content is the same but whose executable bit changed.
    public var modeChanged: [ManifestEntry] = []

    /// True when nothing changed.
    public var isEmpty: Bool { added.isEmpty && modified.isEmpty && removed.isEmpty && modeChanged.isEmpty }

    /// Number of changed entries.
    public var count: Int { added.count + modified.count + removed.count + modeChanged.count }
}

extension Manifest {
    /// What changed from `old` to this manifest, in path order. Only directories whose digests differ are looked
    /// into: a directory digest covers every name, kind, executable bit and content below it, all that is compared
    /// here, so one change in a tree of 50,000 files costs the directories on its path, not a walk of both trees.
    public func diff(from old: Manifest) -> ManifestDiff {
        var diff = ManifestDiff()
        guard rootDigest != old.rootDigest else { return diff }
        let walk = DiffWalk(new: self, old: old, newDigests: directoryDigests(), oldDigests: old.directoryDigests())
        walk.compare(directory: "", into: &diff)
        for list in [\ManifestDiff.added, \.modified, \.removed, \.modeChanged] {
            diff[keyPath: list].sort { RelativePath.precedes($0.path, $1.path) }
        }
        return diff
    }
}

/// The descent of ``Manifest/diff(from:)``: the children of one directory in both manifests, merged by name.
private struct DiffWalk {
    let new: Manifest
    let old: Manifest
    let newDigests: [PathKey: FileDigest]
    let oldDigests: [PathKey: FileDigest]

    func compare(directory: String, into diff: inout ManifestDiff) {
        let newChildren = new.children(of: directory)
        let oldChildren = old.children(of: directory)
        var (newIndex, oldIndex) = (0, 0)
        while newIndex < newChildren.count || oldIndex < oldChildren.count {
            let after = newIndex < newChildren.count ? new.entries[newChildren[newIndex]] : nil
            let before = oldIndex < oldChildren.count ? old.entries[oldChildren[oldIndex]] : nil
            guard let after, let before, RelativePath.compareBytes(after.path, before.path) == 0 else {
                if let after, before.map({ RelativePath.precedes(after.path, $0.path) }) ?? true {
                    diff.added.append(contentsOf: new.subtree(at: newChildren[newIndex]))
                    newIndex += 1
                } else {
                    diff.removed.append(contentsOf: old.subtree(at: oldChildren[oldIndex]))
                    oldIndex += 1
                }
                continue
            }
            if before.kind != after.kind {
                diff.removed.append(contentsOf: old.subtree(at: oldChildren[oldIndex]))
                diff.added.append(contentsOf: new.subtree(at: newChildren[newIndex]))
            } else if !after.hasSameContent(as: before) {
                diff.modified.append(after)
            } else if after.kind == .directory {
                let key = PathKey(after.path)
                if newDigests[key] != oldDigests[key] { compare(directory: after.path, into: &diff) }
            } else if after.isExecutable != before.isExecutable {
                diff.modeChanged.append(after)
            }
            newIndex += 1
            oldIndex += 1
        }
    }
}
