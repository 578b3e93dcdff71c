/// What a push expects to find at a path before it changes it: the precondition of every operation.
///
/// The server compares it with what is really there before anything is written, so a push made against
/// a stale view (the container restarted, someone else pushed) is refused whole instead of clobbering.
public enum EntryState: Hashable, Sendable, CustomStringConvertible {
    /// Nothing exists at the path.
    case absent
    /// A regular file with this XXH3-128.
    case file(FileDigest)
    /// A directory.
    case directory
    /// A symbolic link whose target's bytes have this XXH3-128.
    case symlink(FileDigest)

    /// The state a manifest entry describes.
    public init(_ entry: ManifestEntry?) {
        guard let entry else {
            self = .absent
            return
        }
        switch entry.kind {
        case .file: self = .file(entry.digest ?? FileDigest(of: []))
        case .directory: self = .directory
        case .symlink: self = .symlink(entry.contentDigest ?? FileDigest(of: []))
        }
    }

    public var description: String {
        switch self {
        case .absent: "nothing"
        case .file(let digest): "a file with XXH3-128 \(digest.short)…"
        case .directory: "a directory"
        case .symlink(let digest): "a symlink (target \(digest.short)…)"
        }
    }

    func write(to writer: inout ByteWriter) {
        switch self {
        case .absent: writer.byte(0)
        case .file(let digest):
            writer.byte(1)
            writer.bytes(digest.bytes)
        case .directory: writer.byte(2)
        case .symlink(let digest):
            writer.byte(3)
            writer.bytes(digest.bytes)
        }
    }

    static func read<Source: ByteSource>(from reader: inout ByteReader<Source>) throws(DeltaSyncError) -> EntryState {
        switch try reader.byte("expected state") {
        case 0: return .absent
        case 1: return .file(try readDigest(&reader))
        case 2: return .directory
        case 3: return .symlink(try readDigest(&reader))
        default: throw reader.corrupt("unknown expected state")
        }
    }

    private static func readDigest<Source: ByteSource>(_ reader: inout ByteReader<Source>) throws(DeltaSyncError)
        -> FileDigest
    {
        guard let digest = FileDigest(bytes: try reader.bytes("expected digest", count: 16)) else {
            throw reader.truncated("expected digest")
        }
        return digest
    }
}
