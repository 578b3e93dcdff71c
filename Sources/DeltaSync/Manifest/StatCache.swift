/// Remembers the digests of files by their `stat` identity, so a scan re-hashes only files that changed.
///
/// A digest is reused only when device, inode, size, modification time and change time (all in
/// nanoseconds) are exactly as they were. A file changed within ``racyInterval`` of the scan that
/// hashed it is not remembered: a later write in the same timestamp tick could leave its times unchanged
/// (git's "racy" problem), so such files are hashed again next time. The change time is the one to
/// check: every write moves it, and nothing but the clock can set it.
public struct StatCache: Sendable {
    struct Identity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int
        var modificationTime: Int64
        var changeTime: Int64
    }

    /// Files changed this recently (nanoseconds) before a scan are not cached by it. The default, two
    /// seconds, covers the coarsest timestamps in use (FAT's); file systems with nanosecond times could
    /// use less.
    public var racyInterval: Int64 = 2_000_000_000

    private var entries: [String: (identity: Identity, digest: FileDigest)] = [:]

    /// An empty cache.
    public init() {}

    /// The number of remembered files.
    public var count: Int { entries.count }

    func digest(for path: String, identity: Identity) -> FileDigest? {
        guard let cached = entries[path], cached.identity == identity else { return nil }
        return cached.digest
    }

    mutating func remember(_ path: String, identity: Identity, digest: FileDigest, scanStart: Int64) {
        if identity.changeTime < scanStart - racyInterval {
            entries[path] = (identity, digest)
        } else {
            entries[path] = nil
        }
    }

    mutating func keepOnly(_ paths: Set<String>) {
        entries = entries.filter { paths.contains($0.key) }
    }
}
