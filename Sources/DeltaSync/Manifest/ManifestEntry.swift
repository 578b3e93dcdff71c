/// One file, directory or symbolic link of a tree, as a manifest records it.
public struct ManifestEntry: Hashable, Sendable, CustomStringConvertible {
    /// What kind of entry this is. Symbolic links are recorded as links, never followed.
    public enum Kind: UInt8, Sendable, CustomStringConvertible {
        /// A regular file.
        case file = 1
        /// A directory.
        case directory = 2
        /// A symbolic link.
        case symlink = 3

        public var description: String {
            switch self {
            case .file: "file"
            case .directory: "directory"
            case .symlink: "symlink"
            }
        }
    }

    /// The '/'-separated path relative to the tree's root (see ``RelativePath``).
    public var path: String
    /// The entry's kind.
    public var kind: Kind
    /// File size in bytes; the target's length for a symlink; 0 for a directory.
    public var size: Int
    /// Permission bits (`0o7777`).
    public var mode: UInt32
    /// Last modification, in nanoseconds since 1970.
    public var modificationTime: Int64
    /// The content's XXH3-128, for files.
    public var digest: FileDigest?
    /// Where a symlink points, as written in the link.
    public var symlinkTarget: String?

    /// An entry from its fields.
    public init(
        path: String, kind: Kind, size: Int = 0, mode: UInt32, modificationTime: Int64 = 0,
        digest: FileDigest? = nil, symlinkTarget: String? = nil
    ) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
        self.modificationTime = modificationTime
        self.digest = digest
        self.symlinkTarget = symlinkTarget
    }

    /// Whether the owner may execute it: the one mode bit that manifests compare, because it is the one
    /// that survives between machines (other bits follow each machine's umask).
    public var isExecutable: Bool { mode & 0o100 != 0 }

    /// The last path component.
    public var name: Substring { RelativePath.name(of: path) }

    /// True when the content (kind, bytes, link target's bytes) is the same; mode and time are not compared, nor a
    /// size the digest vouches for (two directories always have the same content: what is in them are entries of
    /// their own).
    public func hasSameContent(as other: ManifestEntry) -> Bool {
        kind == other.kind && digest == other.digest && symlinkTarget.map { PathKey($0) } == other.symlinkTarget.map { PathKey($0) }
    }

    /// The digest the root digest uses for this entry's content: the file digest, the digest of the link
    /// target's bytes, or (for directories) the caller's subtree digest.
    var contentDigest: FileDigest? {
        switch kind {
        case .file: digest
        case .symlink: FileDigest(of: Array((symlinkTarget ?? "").utf8))
        case .directory: nil
        }
    }

    public var description: String {
        let octal = String(mode, radix: 8)
        switch kind {
        case .file: return "file \(octal) \(size) \(digest?.hex ?? "-") \(path)"
        case .directory: return "dir  \(octal) - - \(path)/"
        case .symlink: return "link \(octal) - - \(path) -> \(symlinkTarget ?? "")"
        }
    }
}
