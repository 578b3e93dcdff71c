/// A server's tree as a client rebuilds it from its own manifest and the server's ``TreeDifference``: the
/// server's entries where they differ, the client's own where a directory's tag vouched for them, and each folded
/// directory as an empty directory until ``unfold(with:)`` fills it in.
///
/// Every step is checked against the server's root digest, with the folded directories' digests standing in for
/// their content: the rebuilt tree is the server's, or the answer is refused.
public struct RemoteTree: Sendable {
    /// The rebuilt tree; folded directories are empty in it.
    public private(set) var manifest: Manifest
    /// Directories whose content is known only by its digest.
    public private(set) var folded: [PathKey: FileDigest]
    /// The server's root digest.
    public let rootDigest: FileDigest

    /// Rebuilds the server's tree from `difference`, the answer to ``TreeSummary/init(of:)`` of `local`.
    public init(local: Manifest, difference: TreeDifference) throws(DeltaSyncError) {
        rootDigest = difference.rootDigest
        folded = try Self.folded(difference)
        let listed = Set(difference.listed.map { PathKey($0) })
        // Directories whose children are the client's: the root unless listed, every child directory the answer
        // neither listed nor folded, and the client's directories under those.
        var own: Set<PathKey> = listed.contains("") ? [] : [""]
        for entry in difference.entries where entry.kind == .directory {
            let key = PathKey(entry.path)
            if !listed.contains(key) && folded[key] == nil { own.insert(key) }
        }
        var entries = try Self.described(difference, listed: listed)
        // Path order puts every directory before its children.
        for entry in local.entries where own.contains(PathKey(String(RelativePath.parent(of: entry.path)))) {
            entries.append(entry)
            if entry.kind == .directory { own.insert(PathKey(entry.path)) }
        }
        manifest = try Self.checked(entries, folded: folded, rootDigest: rootDigest)
    }

    /// Fills in folded directories from `difference`, the answer to ``TreeSummary/init(everythingUnder:)`` of
    /// some of them; throws when the server's tree changed in between.
    public mutating func unfold(with difference: TreeDifference) throws(DeltaSyncError) {
        guard difference.folded.isEmpty else { throw Self.corrupt("it folds directories it was asked to describe in full") }
        let listed = Set(difference.listed.map { PathKey($0) })
        var remaining = folded
        for key in listed where remaining.removeValue(forKey: key) == nil {
            // Not a folded directory: then one inside a folded directory it describes.
            guard listed.contains(PathKey(String(RelativePath.parent(of: key.path)))) else {
                throw Self.corrupt("it describes \(RelativePath.quoted(key.path)), which was not asked for")
            }
        }
        let entries = manifest.entries + (try Self.described(difference, listed: listed))
        guard difference.rootDigest == rootDigest else {
            throw DeltaSyncError(.conflict, "the app's files changed on the server while the push was reading them; push again")
        }
        manifest = try Self.checked(entries, folded: remaining, rootDigest: rootDigest)
        folded = remaining
    }

    /// The answer's entries, each a child of a listed directory.
    private static func described(_ difference: TreeDifference, listed: Set<PathKey>) throws(DeltaSyncError) -> [ManifestEntry] {
        for entry in difference.entries where !listed.contains(PathKey(String(RelativePath.parent(of: entry.path)))) {
            throw corrupt("it holds \(RelativePath.quoted(entry.path)), whose directory it does not list")
        }
        return difference.entries
    }

    private static func folded(_ difference: TreeDifference) throws(DeltaSyncError) -> [PathKey: FileDigest] {
        var folded: [PathKey: FileDigest] = [:]
        for directory in difference.folded {
            guard folded.updateValue(directory.digest, forKey: PathKey(directory.path)) == nil else {
                throw corrupt("it folds \(RelativePath.quoted(directory.path)) twice")
            }
        }
        return folded
    }

    private static func checked(_ entries: [ManifestEntry], folded: [PathKey: FileDigest], rootDigest: FileDigest) throws(DeltaSyncError) -> Manifest {
        let manifest: Manifest
        do throws(DeltaSyncError) {
            manifest = try Manifest(entries: entries)
        } catch {
            throw corrupt(error.message)
        }
        for key in folded.keys where manifest[key.path]?.kind != .directory {
            throw corrupt("it folds \(RelativePath.quoted(key.path)), which is not one of its directories")
        }
        guard Manifest.rootDigest(of: manifest.entries, substituting: folded) == rootDigest else {
            throw corrupt("the tree it describes does not hash to its root digest")
        }
        return manifest
    }

    private static func corrupt(_ detail: String) -> DeltaSyncError {
        DeltaSyncError(.corrupt, "the server's tree difference is corrupt: \(detail)")
    }
}
