/// The stat cache's file form (docs/FORMAT.md, "Stat cache"), which lets a client skip reading unchanged files
/// from one run to the next:
///
///     "FPSC" · version 1 · varint rootLength · root · varint entryCount
///     · per entry, in path order: varint sharedPrefix · varint suffixLength · suffix
///       · varint device · varint inode · varint size · zigzag-varint mtime(ns) · zigzag-varint ctime(ns) · digest[16]
///     · checksum[16]: XXH3-128 of every byte before it
///
/// The file is only a hint, and a wrong digest would push a wrong file, so a decoder trusts nothing it cannot check:
/// a file that is truncated, has a bad checksum, another magic or version, or describes another directory is
/// refused whole. Only entries the scan that wrote it remembered are in it, so git's racy-clean rule holds across
/// runs as within one.
extension StatCache where Digest == FileDigest {
    static var magic: [UInt8] { Array("FPSC".utf8) }
    static var version: UInt8 { 1 }

    /// The file form, for the tree at `root` (its absolute path, checked on decoding).
    package func encoded(root: String) -> [UInt8] {
        var writer = ByteWriter(capacity: 48 * entries.count + root.utf8.count + 32)
        writer.bytes(Self.magic)
        writer.byte(Self.version)
        writer.lengthPrefixed(Array(root.utf8))
        writer.varint(entries.count)
        var paths = FrontCodedPaths()
        for (key, cached) in entries.sorted(by: { $0.key < $1.key }) {
            paths.write(key.path, to: &writer)
            writer.varint(cached.identity.device)
            writer.varint(cached.identity.inode)
            writer.varint(cached.identity.size)
            writer.signedVarint(cached.identity.modificationTime)
            writer.signedVarint(cached.identity.changeTime)
            writer.bytes(cached.digest.bytes)
        }
        writer.bytes(FileDigest(of: writer.bytes).bytes)
        return writer.bytes
    }

    /// Decodes a stat cache written for the tree at `root`; throws when the bytes are not one, intact, for that tree.
    package init(decoding bytes: [UInt8], root: String, maximumEntries: Int = 10_000_000) throws(DeltaSyncError) {
        self.init()
        guard bytes.count >= 16 else {
            throw DeltaSyncError(.truncated, "stat cache is truncated: \(bytes.count) bytes cannot hold its checksum")
        }
        let body = Array(bytes[..<(bytes.count - 16)])
        guard FileDigest(of: body).bytes.elementsEqual(bytes[(bytes.count - 16)...]) else {
            throw DeltaSyncError(.corrupt, "stat cache is corrupt: its checksum does not match its content")
        }
        var reader = ByteReader(MemorySource(body), what: "stat cache")
        try reader.header(magic: Self.magic, version: Self.version, hint: "it is rebuilt by the next scan")
        let storedRoot = try reader.lengthPrefixed("root", limit: 1 << 16)
        guard storedRoot.elementsEqual(root.utf8) else {
            throw DeltaSyncError(.invalidArgument, "stat cache describes another directory than \(root)")
        }
        let count = try reader.count("entry count", limit: maximumEntries)
        var paths = FrontCodedPaths()
        for _ in 0..<count {
            let key = PathKey(try paths.read(from: &reader))
            let identity = Identity(
                device: try reader.varint("device"), inode: try reader.varint("inode"),
                size: try reader.count("size", limit: Int.max), modificationTime: try reader.signedVarint("modification time"),
                changeTime: try reader.signedVarint("change time"))
            guard let digest = FileDigest(bytes: try reader.bytes("file digest", count: 16)) else {
                throw reader.truncated("file digest")
            }
            entries[key] = (identity, digest)
        }
        guard try reader.atEnd() else { throw reader.corrupt("unexpected bytes after the last entry") }
    }
}
