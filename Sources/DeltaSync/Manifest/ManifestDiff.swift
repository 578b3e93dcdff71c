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
    /// What changed from `old` to this manifest: one merge over both sorted entry lists, skipped
    /// entirely when the root digests are equal.
    public func diff(from old: Manifest) -> ManifestDiff {
        var diff = ManifestDiff()
        guard rootDigest != old.rootDigest else { return diff }
        var oldIndex = 0
        var newIndex = 0
        while oldIndex < old.entries.count || newIndex < entries.count {
            guard newIndex < entries.count else {
                diff.removed.append(contentsOf: old.entries[oldIndex...])
                break
            }
            guard oldIndex < old.entries.count else {
                diff.added.append(contentsOf: entries[newIndex...])
                break
            }
            let before = old.entries[oldIndex]
            let after = entries[newIndex]
            if RelativePath.precedes(before.path, after.path) {
                diff.removed.append(before)
                oldIndex += 1
                continue
            }
            if RelativePath.precedes(after.path, before.path) {
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
}
