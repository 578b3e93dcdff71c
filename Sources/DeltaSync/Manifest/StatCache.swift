package import Glibc

/// Remembers the digests of files by their `stat` identity, so a scan re-hashes only files that changed.
///
/// A digest is reused only when device, inode, size, modification time and change time (all in
/// nanoseconds) are exactly as they were. A file changed within ``racyInterval`` of the scan that
/// hashed it is not remembered: a later write in the same timestamp tick could leave its times unchanged
/// (git's "racy" problem), so such files are hashed again next time. The change time is the one to
/// check: every write moves it, and nothing but the clock can set it.
public struct StatCache<Digest: Hashable & Sendable>: Sendable {
    /// The `stat` fields that must be unchanged for a digest to be reused.
    package struct Identity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int
        var modificationTime: Int64
        var changeTime: Int64

        package init(device: UInt64, inode: UInt64, size: Int, modificationTime: Int64, changeTime: Int64) {
            self.device = device
            self.inode = inode
            self.size = size
            self.modificationTime = modificationTime
            self.changeTime = changeTime
        }

        /// Whether a scan that started at `scanStart` can vouch for the file: it did not change within
        /// `racyInterval` before (the change time is the one to check: every write moves it).
        package func isSettled(before scanStart: Int64, racyInterval: Int64) -> Bool {
            changeTime < scanStart - racyInterval
        }

        /// The identity `lstat` or `fstat` reported.
        package init(_ status: stat) {
            self.init(
                device: UInt64(status.st_dev), inode: UInt64(status.st_ino), size: Int(status.st_size),
                modificationTime: SystemCall.nanoseconds(status.st_mtim), changeTime: SystemCall.nanoseconds(status.st_ctim))
        }
    }

    /// Files changed this recently (nanoseconds) before a scan are not cached by it. The default, two
    /// seconds, covers the coarsest timestamps in use (FAT's); file systems with nanosecond times could
    /// use less.
    public var racyInterval: Int64 = 2_000_000_000

    /// Keyed by the bytes of the path: two names Unicode calls equal are two files.
    var entries: [PathKey: (identity: Identity, digest: Digest)] = [:]

    /// An empty cache.
    public init() {}

    /// The number of remembered files.
    public var count: Int { entries.count }

    package func digest(for path: String, identity: Identity) -> Digest? {
        guard let cached = entries[PathKey(path)], cached.identity == identity else { return nil }
        return cached.digest
    }

    package mutating func remember(_ path: String, identity: Identity, digest: Digest, scanStart: Int64) {
        if identity.isSettled(before: scanStart, racyInterval: racyInterval) {
            entries[PathKey(path)] = (identity, digest)
        } else {
            entries[PathKey(path)] = nil
        }
    }

    package mutating func keepOnly(_ paths: Set<PathKey>) {
        entries = entries.filter { paths.contains($0.key) }
    }
}
