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
    /// Every directory's digest (the root's under ""), kept so that ``replacing(_:)`` recomputes only the
    /// directories above what changed.
    private let digests: [PathKey: FileDigest]

    /// A manifest of `entries` (in any order). Throws if a path is unsafe or repeated, or if an entry's
    /// parent directory is missing.
    public init(entries: [ManifestEntry]) throws(DeltaSyncError) {
        let sorted = entries.sorted { RelativePath.precedes($0.path, $1.path) }
        try Self.validate(sorted: sorted)
        self.entries = sorted
        var digests: [PathKey: FileDigest] = [:]
        rootDigest = Self.merkleRoot(of: sorted) { path, digest in digests[path] = digest }
        self.digests = digests
    }

    /// A manifest of `entries`, in path order, whose directories' digests are known: `directoryDigests` holds one for
    /// each directory entry, in order, and `rootDigest` the root's, as a manifest built from them would compute them.
    /// What a file of this project's own that a checksum vouches for holds (a kept scan): one pass over the entries
    /// instead of a sort and a hash of the whole tree. Throws as ``init(entries:)`` does, or if the entries are out
    /// of order or the digests do not match the directories in number.
    package init(
        ordered entries: [ManifestEntry], directoryDigests: [FileDigest], rootDigest: FileDigest
    ) throws(DeltaSyncError) {
        for (earlier, later) in zip(entries, entries.dropFirst()) where !RelativePath.precedes(earlier.path, later.path) {
            throw DeltaSyncError(.invalidArgument, "\(RelativePath.quoted(later.path)) is out of path order")
        }
        let directories = entries.filter { $0.kind == .directory }
        guard directories.count == directoryDigests.count else {
            throw DeltaSyncError(
                .invalidArgument, "\(directoryDigests.count) directory digests for \(directories.count) directories")
        }
        try Self.validate(sorted: entries)
        self.entries = entries
        var digests = [PathKey: FileDigest](minimumCapacity: directories.count + 1)
        for (directory, digest) in zip(directories, directoryDigests) { digests[PathKey(directory.path)] = digest }
        digests[""] = rootDigest
        self.digests = digests
        self.rootDigest = rootDigest
    }

    /// Throws unless `sorted` entries (in path order) make a valid manifest: a path is unsafe or repeated, an
    /// entry's fields do not fit its kind, or its parent directory is missing.
    private static func validate(sorted: [ManifestEntry]) throws(DeltaSyncError) {
        var previous: String?
        /// The last parent found to be a directory: siblings follow one another, so most entries need no search.
        var knownDirectory = ""
        for entry in sorted {
            try RelativePath.validate(entry.path)
            guard previous.map({ RelativePath.compareBytes($0, entry.path) != 0 }) ?? true else {
                throw DeltaSyncError(.invalidArgument, "the path \(RelativePath.quoted(entry.path)) appears twice")
            }
            previous = entry.path
            guard (entry.kind == .file) == (entry.digest != nil),
                (entry.kind == .symlink) == (entry.symlinkTarget != nil)
            else {
                throw DeltaSyncError(.invalidArgument, "the \(entry.kind) entry \(RelativePath.quoted(entry.path)) has the wrong fields for its kind")
            }
            let parent = RelativePath.parent(of: entry.path)
            if !parent.isEmpty, !parent.utf8.elementsEqual(knownDirectory.utf8) {
                let parent = String(parent)
                guard position(of: parent, in: sorted).map({ sorted[$0].kind == .directory }) == true else {
                    throw DeltaSyncError(.invalidArgument, "\(RelativePath.quoted(entry.path)) is listed without its directory \(RelativePath.quoted(parent))")
                }
                knownDirectory = parent
            }
        }
    }

    private init(entries: [ManifestEntry], digests: [PathKey: FileDigest]) {
        self.entries = entries
        self.digests = digests
        rootDigest = digests[""]!
    }

    /// This manifest with the entries at some positions replaced by new entries of the same paths, as
    /// `Manifest(entries:)` would build it from scratch but at the cost of the change: the paths, their order and
    /// their positions stay, and only the directories above a changed entry have their digest computed again.
    /// Throws if a new entry's path is not the one it replaces, if its fields do not fit its kind, or if it turns
    /// a directory into something else or the reverse (that changes which paths can exist under it).
    package func replacing(_ changes: [(position: Int, entry: ManifestEntry)]) throws(DeltaSyncError) -> Manifest {
        var entries = self.entries
        var stale = Set<PathKey>()
        for (position, entry) in changes {
            let old = entries[position]
            guard RelativePath.compareBytes(old.path, entry.path) == 0 else {
                throw DeltaSyncError(
                    .invalidArgument, "\(RelativePath.quoted(entry.path)) cannot replace \(RelativePath.quoted(old.path))")
            }
            guard (entry.kind == .file) == (entry.digest != nil),
                (entry.kind == .symlink) == (entry.symlinkTarget != nil),
                (entry.kind == .directory) == (old.kind == .directory)
            else {
                throw DeltaSyncError(
                    .invalidArgument,
                    "the \(entry.kind) entry \(RelativePath.quoted(entry.path)) cannot replace a \(old.kind)")
            }
            entries[position] = entry
            // Its parent's digest covers it, and every directory above covers that one.
            var directory = RelativePath.parent(of: entry.path)
            while stale.insert(PathKey(String(directory))).inserted, !directory.isEmpty {
                directory = RelativePath.parent(of: String(directory))
            }
        }
        var digests = self.digests
        // Deepest first: a directory's path sorts after its parent's.
        for directory in stale.sorted(by: >) {
            digests[directory] = Self.directoryDigest(of: directory.path, in: entries, digests: digests)
        }
        return Manifest(entries: entries, digests: digests)
    }

    /// The manifest of an empty tree.
    public static var empty: Manifest {
        // An empty list has no paths to reject.
        try! Manifest(entries: [])
    }

    /// The entry at `path`, if any.
    public subscript(path: String) -> ManifestEntry? {
        position(of: path).map { entries[$0] }
    }

    /// The position in ``entries`` of the entry at `path`, if any.
    package func position(of path: String) -> Int? {
        Self.position(of: path, in: entries)
    }

    /// Number of regular files.
    public var fileCount: Int { entries.count { $0.kind == .file } }

    /// Total bytes of regular files.
    public var totalFileSize: Int { entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) } }

    public static func == (lhs: Manifest, rhs: Manifest) -> Bool { lhs.entries == rhs.entries }

    /// The digest of every directory (the root under ""), as the root digest covers them.
    public func directoryDigests() -> [PathKey: FileDigest] { digests }

    /// The root digest of `entries` (a valid manifest's, in path order), taking the digest of each directory
    /// named in `substituted` as given instead of computing it from its children: a directory whose content
    /// the caller knows only by its digest.
    package static func rootDigest(of entries: [ManifestEntry], substituting substituted: [PathKey: FileDigest]) -> FileDigest {
        merkleRoot(of: entries, substituting: substituted)
    }

    /// Computes directory digests bottom-up: in reverse path order a directory comes after everything under it
    /// (their paths extend its own with a `/`, so sort after it). `visit` sees every directory's digest, the root's
    /// last.
    private static func merkleRoot(
        of entries: [ManifestEntry], substituting substituted: [PathKey: FileDigest] = [:],
        visit: (PathKey, FileDigest) -> Void = { _, _ in }
    ) -> FileDigest {
        var digests: [PathKey: FileDigest] = [:]
        for entry in entries.reversed() where entry.kind == .directory {
            let key = PathKey(entry.path)
            let digest = substituted[key] ?? directoryDigest(of: entry.path, in: entries, digests: digests)
            digests[key] = digest
            visit(key, digest)
        }
        let root = substituted[""] ?? directoryDigest(of: "", in: entries, digests: digests)
        visit("", root)
        return root
    }

    /// What a directory's digest covers of one child: its name, kind, executable bit and content digest.
    private static func appendRecord(of entry: ManifestEntry, content: FileDigest, to record: inout ByteWriter) {
        let name = entry.name
        record.varint(name.utf8.count)
        record.bytes(name.utf8)
        record.byte(entry.kind.rawValue)
        record.byte(entry.isExecutable ? 1 : 0)
        record.bytes(content.bytes)
    }

    /// The digest of `directory` ("" for the root) from its children in `entries` (a valid manifest's, in path
    /// order), taking subdirectories' digests from `digests`.
    private static func directoryDigest(
        of directory: String, in entries: [ManifestEntry], digests: [PathKey: FileDigest]
    ) -> FileDigest {
        var writer = ByteWriter()
        for position in childPositions(of: directory, in: entries) {
            let entry = entries[position]
            let content = entry.kind == .directory ? digests[PathKey(entry.path)]! : entry.contentDigest!
            appendRecord(of: entry, content: content, to: &writer)
        }
        return FileDigest(of: writer.bytes)
    }

    /// The positions of `directory`'s children ("" for the root) in `entries` (a valid manifest's, in path order).
    /// Everything under a directory is one run of entries (their paths all start with its path and a `/`), though
    /// not always right after it (`a.txt` sorts between `a` and `a/b`): the walk takes each child and, meeting an
    /// entry deeper down, skips the rest of its run.
    private static func childPositions(of directory: String, in entries: [ManifestEntry]) -> [Int] {
        let prefixLength = directory.isEmpty ? 0 : directory.utf8.count + 1
        var position = directory.isEmpty ? entries.startIndex : firstPosition(notBefore: directory + "/", in: entries)
        let end = directory.isEmpty ? entries.endIndex : firstPosition(notBelow: directory, in: entries, from: position)
        var children: [Int] = []
        while position < end {
            let path = entries[position].path
            if let slash = path.utf8.dropFirst(prefixLength).firstIndex(of: 0x2F) {
                position = firstPosition(notBelow: String(path[..<slash]), in: entries, from: position + 1)
                continue
            }
            children.append(position)
            position += 1
        }
        return children
    }

    /// The positions of the children of `directory` ("" for the root), in path order.
    func children(of directory: String) -> [Int] {
        Self.childPositions(of: directory, in: entries)
    }

    /// The entry at `position` and, for a directory, everything under it, in path order.
    func subtree(at position: Int) -> [ManifestEntry] {
        let entry = entries[position]
        guard entry.kind == .directory else { return [entry] }
        let start = Self.firstPosition(notBefore: entry.path + "/", in: entries, from: position + 1)
        let end = Self.firstPosition(notBelow: entry.path, in: entries, from: start)
        return [entry] + entries[start..<end]
    }

    /// The position of `path` in `entries` (in path order), found by its bytes with a binary search.
    private static func position(of path: String, in entries: [ManifestEntry]) -> Int? {
        let position = firstPosition(notBefore: path, in: entries)
        guard position < entries.endIndex, RelativePath.compareBytes(entries[position].path, path) == 0 else { return nil }
        return position
    }

    /// The first position from `start` on whose path does not lie under `directory`: paths under it start with
    /// its path and a `/`, and `0`, the byte after `/`, sorts after all of them.
    private static func firstPosition(notBelow directory: String, in entries: [ManifestEntry], from start: Int) -> Int {
        firstPosition(notBefore: directory + "0", in: entries, from: start)
    }

    /// The first position from `start` on whose path does not sort before `path` (a binary search).
    private static func firstPosition(notBefore path: String, in entries: [ManifestEntry], from start: Int = 0) -> Int {
        var (low, high) = (start, entries.endIndex)
        while low < high {
            let middle = (low + high) / 2
            if RelativePath.precedes(entries[middle].path, path) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
