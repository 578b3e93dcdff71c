/// What a client tells a server about its tree so that the server can answer with only the part that differs
/// (a ``TreeDifference``): one 10-byte tag per directory, whatever the directory holds.
///
/// A directory's digest (``Manifest/directoryDigests()``) covers everything under it, so a server directory whose
/// path and digest the client has is the client's, down to the last file, and needs no description. The content
/// tag says "I have this directory with this digest"; the path tag only says "I have a directory here", which
/// lets the server describe a differing directory the client has and merely name one it does not (an ignored
/// `node_modules`, say), instead of listing all its content. Only the content tag decides what is assumed equal;
/// a client checks the rebuilt tree against the server's root digest (``RemoteTree``), so even a chance equality
/// of two 64-bit tags cannot go unnoticed.
public struct TreeSummary: Sendable, Equatable {
    /// One directory the client has.
    public struct Tag: Hashable, Sendable {
        /// The low 16 bits of the XXH3-64 of the path's bytes. Few bits do: a chance equality only makes the
        /// server describe a directory it could have folded.
        public var path: UInt16
        /// The XXH3-64 of the path's bytes, a zero byte and the directory's digest.
        public var content: UInt64

        /// The tag of the directory at `path` (the root is "") with `digest`.
        public init(path: String, digest: FileDigest) {
            self.path = Self.pathTag(path)
            var bytes = Array(path.utf8)
            bytes.append(0)
            bytes.append(contentsOf: digest.bytes)
            content = bytes.withUnsafeBytes { BlockHash.hash($0) }
        }

        init(path: UInt16, content: UInt64) {
            self.path = path
            self.content = content
        }

        /// The path tag of `path`.
        static func pathTag(_ path: String) -> UInt16 {
            var path = path
            return UInt16(truncatingIfNeeded: path.withUTF8 { BlockHash.hash(UnsafeRawBufferPointer($0)) })
        }
    }

    /// The directories to describe: "" for the whole tree.
    public var roots: [String]
    /// Whether to describe every directory under the roots that no tag vouches for, also those the client does
    /// not have (the second round, for directories a first answer only named).
    public var listsEverything: Bool
    /// The client's directories.
    public var tags: [Tag]

    /// The summary of a client's whole tree.
    public init(of manifest: Manifest) {
        roots = [""]
        listsEverything = false
        tags = manifest.directoryDigests().map { Tag(path: $0.key.path, digest: $0.value) }
    }

    /// A request for everything under `roots`: directories a ``TreeDifference`` named without describing them.
    public init(everythingUnder roots: [String]) {
        self.roots = roots
        listsEverything = true
        tags = []
    }

    init(roots: [String], listsEverything: Bool, tags: [Tag]) {
        self.roots = roots
        self.listsEverything = listsEverything
        self.tags = tags
    }
}
