/// A server's answer to a ``TreeSummary``: its tree where it differs from the client's, and its root digest.
///
/// It lists, in full, the directories the client's tags do not vouch for: each one's children, as manifest
/// entries. A child directory a tag vouches for is the client's own, and is not described further. A child
/// directory the client does not have at all is *folded*: named with its digest, its content left out, so that
/// a large directory the client never pushed (installed dependencies, the app's caches) costs one entry. A client
/// rebuilds the server's tree from these and its own manifest (``RemoteTree``).
public struct TreeDifference: Sendable, Equatable {
    /// A directory named but not described.
    public struct FoldedDirectory: Hashable, Sendable {
        public var path: String
        public var digest: FileDigest

        public init(path: String, digest: FileDigest) {
            self.path = path
            self.digest = digest
        }
    }

    /// The server tree's root digest.
    public var rootDigest: FileDigest
    /// The directories described in full ("" is the root), in path order.
    public var listed: [String]
    /// Every child of a listed directory, in path order.
    public var entries: [ManifestEntry]
    /// Child directories of listed ones that the client does not have, in path order.
    public var folded: [FoldedDirectory]

    public init(rootDigest: FileDigest, listed: [String], entries: [ManifestEntry], folded: [FoldedDirectory]) {
        self.rootDigest = rootDigest
        self.listed = listed
        self.entries = entries
        self.folded = folded
    }
}

extension Manifest {
    /// What a client with `summary` lacks of this tree; see ``TreeDifference``.
    public func difference(for summary: TreeSummary) -> TreeDifference {
        let digests = directoryDigests()
        let vouched = Set(summary.tags.map(\.content))
        let present = Set(summary.tags.map(\.path))
        var children: [PathKey: [ManifestEntry]] = [:]
        for entry in entries { children[PathKey(String(RelativePath.parent(of: entry.path))), default: []].append(entry) }

        var listed: Set<PathKey> = []
        var described: [ManifestEntry] = []
        var folded: [TreeDifference.FoldedDirectory] = []
        func isVouchedFor(_ key: PathKey) -> Bool {
            guard let digest = digests[key] else { return false }
            return vouched.contains(TreeSummary.Tag(path: key.path, digest: digest).content)
        }
        var pending = summary.roots.map { PathKey($0) }.filter { digests[$0] != nil && !isVouchedFor($0) }
        while let directory = pending.popLast() {
            guard listed.insert(directory).inserted else { continue }
            for child in children[directory] ?? [] {
                described.append(child)
                let key = PathKey(child.path)
                guard child.kind == .directory, !isVouchedFor(key) else { continue }
                if summary.listsEverything || present.contains(TreeSummary.Tag.pathTag(child.path)) {
                    pending.append(key)
                } else if let digest = digests[key] {
                    folded.append(.init(path: child.path, digest: digest))
                }
            }
        }
        return TreeDifference(
            rootDigest: rootDigest,
            listed: listed.sorted().map(\.path),
            entries: described.sorted { RelativePath.precedes($0.path, $1.path) },
            folded: folded.sorted { RelativePath.precedes($0.path, $1.path) })
    }
}
