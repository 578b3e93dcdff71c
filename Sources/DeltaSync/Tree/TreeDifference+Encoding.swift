/// The binary form of a tree difference (docs/FORMAT.md, "Tree difference"), the answer to `POST v2/difference`:
///
///     "FPTD" · version 1 · digest rootDigest
///     · varint listedCount · listed paths, front-coded
///     · entries as in a manifest (varint entryCount · entries)
///     · varint foldedCount · foldedCount × (front-coded path · digest)
extension TreeDifference {
    static let magic: [UInt8] = Array("FPTD".utf8)
    static let version: UInt8 = 1

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 32 + 40 * entries.count + 24 * (listed.count + folded.count))
        writer.bytes(Self.magic)
        writer.byte(Self.version)
        writer.bytes(rootDigest.bytes)
        writer.varint(listed.count)
        var listedPaths = FrontCodedPaths()
        for path in listed { listedPaths.write(path, to: &writer) }
        ManifestEntry.write(entries, to: &writer)
        writer.varint(folded.count)
        var foldedPaths = FrontCodedPaths()
        for directory in folded {
            foldedPaths.write(directory.path, to: &writer)
            writer.bytes(directory.digest.bytes)
        }
        return writer.bytes
    }

    /// Decodes a difference, refusing paths out of order and counts the bytes cannot hold; whether the entries
    /// make a tree, and the server's, is ``RemoteTree``'s check.
    public init(decoding bytes: [UInt8]) throws(DeltaSyncError) {
        var reader = ByteReader(MemorySource(bytes), what: "tree difference")
        try reader.header(magic: Self.magic, version: Self.version, hint: "is the server a FastPush controller of this release?")
        guard let rootDigest = FileDigest(bytes: try reader.bytes("root digest", count: 16)) else {
            throw reader.truncated("root digest")
        }
        // Every listed path takes at least 2 bytes, every entry 5, every folded directory 18.
        let listedCount = try reader.count("listed count", limit: bytes.count / 2)
        var listedPaths = FrontCodedPaths()
        var listed: [String] = []
        for _ in 0..<listedCount { listed.append(try listedPaths.read(from: &reader)) }
        let entries = try ManifestEntry.read(from: &reader, limit: bytes.count / 5)
        let foldedCount = try reader.count("folded count", limit: bytes.count / 18)
        var foldedPaths = FrontCodedPaths()
        var folded: [FoldedDirectory] = []
        for _ in 0..<foldedCount {
            let path = try foldedPaths.read(from: &reader)
            guard let digest = FileDigest(bytes: try reader.bytes("folded digest", count: 16)) else {
                throw reader.truncated("folded digest")
            }
            folded.append(FoldedDirectory(path: path, digest: digest))
        }
        guard try reader.atEnd() else { throw reader.corrupt("unexpected bytes after the last folded directory") }
        self.init(rootDigest: rootDigest, listed: listed, entries: entries, folded: folded)
    }
}
