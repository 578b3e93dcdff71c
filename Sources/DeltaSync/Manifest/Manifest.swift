/// The state of a tree: every file, directory and symlink under a root, in path order, with a root digest.
///
/// The root digest is a Merkle hash over directories: each directory's digest covers its children's
/// names, kinds, executable bits and content digests (a file's XXH3-128, a link target's, a
/// subdirectory's own digest). Two trees with equal root digests have the same content, so "nothing
/// changed" is one 16-byte comparison. Modification times and non-executable mode bits are recorded
/// but not hashed: they differ between machines without the content differing.
public struct Manifest: Sendable, Equatable {
    /// All entries, sorted by the UTF-8 bytes of their paths.
    public let entries: [ManifestEntry]
    /// The Merkle digest of the whole tree.
    public let rootDigest: FileDigest
    private let positions: [PathKey: Int]

    /// A manifest of `entries` (in any order). Throws if a path is unsafe or repeated, or if an entry's
    /// parent directory is missing.
    public init(entries: [ManifestEntry]) throws(DeltaSyncError) {
        let sorted = entries.sorted { RelativePath.precedes($0.path, $1.path) }
        var positions: [PathKey: Int] = [:]
        positions.reserveCapacity(sorted.count)
        for (position, entry) in sorted.enumerated() {
            try RelativePath.validate(entry.path)
            guard positions.updateValue(position, forKey: PathKey(entry.path)) == nil else {
                throw DeltaSyncError(.invalidArgument, "the path \(RelativePath.quoted(entry.path)) appears twice")
            }
            guard (entry.kind == .file) == (entry.digest != nil),
                (entry.kind == .symlink) == (entry.symlinkTarget != nil)
            else {
                throw DeltaSyncError(.invalidArgument, "the \(entry.kind) entry \(RelativePath.quoted(entry.path)) has the wrong fields for its kind")
            }
        }
        for entry in sorted {
            let parent = String(RelativePath.parent(of: entry.path))
            guard parent.isEmpty || positions[PathKey(parent)].map({ sorted[$0].kind == .directory }) == true else {
                throw DeltaSyncError(.invalidArgument, "\(RelativePath.quoted(entry.path)) is listed without its directory \(RelativePath.quoted(parent))")
            }
        }
        self.entries = sorted
        self.positions = positions
        rootDigest = Self.merkleRoot(of: sorted)
    }

    /// The manifest of an empty tree.
    public static var empty: Manifest {
        // An empty list has no paths to reject.
        try! Manifest(entries: [])
    }

    /// The entry at `path`, if any.
    public subscript(path: String) -> ManifestEntry? {
        positions[PathKey(path)].map { entries[$0] }
    }

    /// Number of regular files.
    public var fileCount: Int { entries.count { $0.kind == .file } }

    /// Total bytes of regular files.
    public var totalFileSize: Int { entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) } }

    public static func == (lhs: Manifest, rhs: Manifest) -> Bool { lhs.entries == rhs.entries }

    /// The digest of every directory (the root under ""), as the root digest covers them.
    public func directoryDigests() -> [PathKey: FileDigest] {
        var digests: [PathKey: FileDigest] = [:]
        _ = Self.merkleRoot(of: entries) { path, digest in digests[path] = digest }
        return digests
    }

    /// The root digest of `entries` (a valid manifest's, in path order), taking the digest of each directory
    /// named in `substituted` as given instead of computing it from its children: a directory whose content
    /// the caller knows only by its digest.
    package static func rootDigest(of entries: [ManifestEntry], substituting substituted: [PathKey: FileDigest]) -> FileDigest {
        merkleRoot(of: entries, substituting: substituted)
    }

    /// Computes directory digests bottom-up: in reverse path order, every entry under a directory (whose paths
    /// extend the directory's with a `/`, so sort after it) is done before the directory is. `visit` sees every
    /// directory's digest, the root's last.
    private static func merkleRoot(
        of entries: [ManifestEntry], substituting substituted: [PathKey: FileDigest] = [:],
        visit: (PathKey, FileDigest) -> Void = { _, _ in }
    ) -> FileDigest {
        var records: [PathKey: [(name: Substring, record: [UInt8])]] = [:]
        for entry in entries.reversed() {
            let key = PathKey(entry.path)
            let children = records.removeValue(forKey: key) ?? []
            let content: FileDigest
            if let digest = entry.contentDigest {
                content = digest
            } else {
                content = substituted[key] ?? directoryDigest(children)
                visit(key, content)
            }
            var record = ByteWriter()
            let name = entry.name
            record.varint(name.utf8.count)
            record.bytes(name.utf8)
            record.byte(entry.kind.rawValue)
            record.byte(entry.isExecutable ? 1 : 0)
            record.bytes(content.bytes)
            records[PathKey(String(RelativePath.parent(of: entry.path))), default: []].append((name, record.bytes))
        }
        let root = substituted[""] ?? directoryDigest(records[""] ?? [])
        visit("", root)
        return root
    }

    /// The digest of a directory whose children's records come in reverse name order, as the reverse walk of
    /// entries in path order meets them (siblings share their parent's path, so their paths sort by name).
    private static func directoryDigest(_ children: [(name: Substring, record: [UInt8])]) -> FileDigest {
        var writer = ByteWriter()
        for child in children.reversed() { writer.bytes(child.record) }
        return FileDigest(of: writer.bytes)
    }
}
