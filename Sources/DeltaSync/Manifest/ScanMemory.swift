import Glibc

/// What a ``TreeScanner`` keeps of its last scan so that the next one pays for what changed rather than for the
/// whole tree: the manifest, the `lstat` identity each entry had, and the children each directory listed.
///
/// A directory's listing is reused while the directory's identity is unchanged: creating, removing or renaming
/// an entry in it moves its modification and change times. An entry is reused while its own identity is
/// unchanged: writing a file, changing its mode or replacing it moves its change time or its inode. Neither is
/// remembered if it changed within the stat cache's racy interval before the scan that saw it, as the stat cache
/// does for digests: a second change within the same timestamp tick could leave every time as it was.
struct ScanMemory: Sendable {
    /// The `lstat` fields that must all be unchanged for an entry, or a directory's list of names, to be reused.
    struct Identity: Equatable, Sendable {
        /// Device, inode, size, modification and change times.
        var status: StatCache<FileDigest>.Identity
        /// The type and permission bits.
        var mode: UInt32

        init(status: StatCache<FileDigest>.Identity, mode: UInt32) {
            self.status = status
            self.mode = mode
        }

        init(_ status: stat) {
            self.status = StatCache<FileDigest>.Identity(status)
            mode = UInt32(status.st_mode)
        }

        /// Whether a scan that started at `scanStart` can vouch for what it saw of the entry: it did not change
        /// within `racyInterval` before.
        func isSettled(before scanStart: Int64, racyInterval: Int64) -> Bool {
            status.isSettled(before: scanStart, racyInterval: racyInterval)
        }
    }

    /// The entries a directory held, as it listed them.
    struct Listing: Sendable {
        /// The directory's identity when it was listed.
        var identity: Identity
        /// The positions in ``ScanMemory/manifest`` of the entries kept from it, in the order it listed them.
        var children: [Int]
    }

    /// The last scan's manifest.
    var manifest: Manifest
    /// Each entry's identity, by position in ``manifest``; `nil` for one that changed too recently to be trusted.
    var identities: [Identity?]
    /// The listings of the directories ("" for the root) that were listed whole, with nothing left out, and had
    /// settled; a directory not here is listed again.
    var listings: [PathKey: Listing]
}
