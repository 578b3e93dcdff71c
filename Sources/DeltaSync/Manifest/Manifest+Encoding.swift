/// The manifest's binary form (docs/FORMAT.md, "Manifest"):
///
///     "FPMF" · version 1 · varint entryCount
///     · per entry, in path order: varint sharedPrefix · varint suffixLength · suffix
///       · u8 kind · varint mode · varint size · zigzag-varint mtime(ns)
///       · file: digest[16] | symlink: varint targetLength · target
///     · rootDigest[16]
///
/// Paths are front-coded against the previous path, so a tree of 5,000 files costs about 30 bytes a file.
extension Manifest {
    static let magic: [UInt8] = Array("FPMF".utf8)
    static let version: UInt8 = 1

    /// The binary form.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 32 * entries.count + 32)
        writer.bytes(Self.magic)
        writer.byte(Self.version)
        ManifestEntry.write(entries, to: &writer)
        writer.bytes(rootDigest.bytes)
        return writer.bytes
    }

    /// Decodes a manifest, checking every path and the root digest; `maximumEntries` bounds what a
    /// hostile header may claim.
    public init(decoding bytes: [UInt8], maximumEntries: Int = 1_000_000) throws(DeltaSyncError) {
        let (entries, stored) = try Self.fields(
            of: bytes, what: "manifest", hint: "make one with `fastpush manifest DIR --output FILE`", maximumEntries: maximumEntries)
        do throws(DeltaSyncError) {
            try self.init(entries: entries)
        } catch {
            throw DeltaSyncError(.corrupt, "manifest is corrupt: \(error.message)")
        }
        guard rootDigest == stored else {
            throw DeltaSyncError(.corrupt, "manifest is corrupt: its entries do not hash to its root digest")
        }
    }
}

extension Manifest {
    /// The entries and the stored root digest of a manifest's binary form, read as they are: nothing is checked but
    /// the form itself (the caller checks the paths and the digest). `what` and `hint` go into error messages.
    static func fields(
        of bytes: [UInt8], what: String, hint: String, maximumEntries: Int
    ) throws(DeltaSyncError) -> (entries: [ManifestEntry], rootDigest: FileDigest) {
        var reader = ByteReader(MemorySource(bytes), what: what)
        try reader.header(magic: magic, version: version, hint: hint)
        let entries = try ManifestEntry.read(from: &reader, limit: maximumEntries)
        guard let rootDigest = FileDigest(bytes: try reader.bytes("root digest", count: 16)) else {
            throw reader.truncated("root digest")
        }
        guard try reader.atEnd() else { throw reader.corrupt("unexpected bytes after the root digest") }
        return (entries, rootDigest)
    }
}

extension ManifestEntry {
    /// Appends `entries`, in path order, as a manifest holds them: a count, then each entry.
    package static func write(_ entries: [ManifestEntry], to writer: inout ByteWriter) {
        writer.varint(entries.count)
        var paths = FrontCodedPaths()
        for entry in entries {
            paths.write(entry.path, to: &writer)
            writer.byte(entry.kind.rawValue)
            writer.varint(UInt64(entry.mode))
            writer.varint(entry.size)
            writer.signedVarint(entry.modificationTime)
            switch entry.kind {
            case .file: writer.bytes((entry.digest ?? FileDigest(high: 0, low: 0)).bytes)
            case .symlink: writer.lengthPrefixed(Array((entry.symlinkTarget ?? "").utf8))
            case .directory: break
            }
        }
    }

    /// Reads what ``write(_:to:)`` wrote, refusing more than `limit` entries, paths out of order, unknown kinds and
    /// text that is not UTF-8. The paths are not yet checked to be safe: a ``Manifest`` made of them checks.
    package static func read<Source>(from reader: inout ByteReader<Source>, limit: Int) throws(DeltaSyncError) -> [ManifestEntry] {
        let count = try reader.count("entry count", limit: limit)
        var entries: [ManifestEntry] = []
        entries.reserveCapacity(min(count, 1 << 16))
        var paths = FrontCodedPaths()
        for _ in 0..<count {
            let path = try paths.read(from: &reader)
            guard let kind = ManifestEntry.Kind(rawValue: try reader.byte("kind")) else {
                throw reader.corrupt("unknown entry kind")
            }
            let mode = try reader.count("mode", limit: 0o7777)
            let size = try reader.count("size", limit: Int.max)
            let modified = try reader.signedVarint("modification time")
            var entry = ManifestEntry(path: path, kind: kind, size: size, mode: UInt32(mode), modificationTime: modified)
            switch kind {
            case .file:
                entry.digest = FileDigest(bytes: try reader.bytes("file digest", count: 16))
            case .symlink:
                let target = try reader.lengthPrefixed("symlink target", limit: RelativePath.maximumLength)
                guard let text = String(validating: target, as: UTF8.self) else {
                    throw reader.corrupt("a symlink target is not valid UTF-8")
                }
                entry.symlinkTarget = text
            case .directory:
                break
            }
            entries.append(entry)
        }
        return entries
    }
}
