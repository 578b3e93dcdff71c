/// The binary form of a tree summary (docs/FORMAT.md, "Tree summary"), the body of `POST v2/difference`:
///
///     "FPTS" · version 1 · varint flags · varint rootCount · rootCount × string root
///     · varint tagCount · tagCount × (u16le pathTag · u64le contentTag)
extension TreeSummary {
    static let magic: [UInt8] = Array("FPTS".utf8)
    static let version: UInt8 = 1
    /// The flag bit of ``listsEverything``; no other bit is defined.
    static let listsEverythingFlag: UInt64 = 1

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + 10 * tags.count + roots.reduce(0) { $0 + $1.utf8.count + 2 })
        writer.bytes(Self.magic)
        writer.byte(Self.version)
        writer.varint(listsEverything ? Self.listsEverythingFlag : 0)
        writer.varint(roots.count)
        for root in roots { writer.lengthPrefixed(Array(root.utf8)) }
        writer.varint(tags.count)
        for tag in tags {
            writer.littleEndian(UInt64(tag.path), count: 2)
            writer.littleEndian(tag.content, count: 8)
        }
        return writer.bytes
    }

    /// Decodes a summary. Counts are checked against the bytes that remain before anything is reserved for them;
    /// roots are checked to be UTF-8, not to be safe: the receiver validates each before using it.
    public init(decoding bytes: [UInt8]) throws(DeltaSyncError) {
        var reader = ByteReader(MemorySource(bytes), what: "tree summary")
        try reader.header(magic: Self.magic, version: Self.version, hint: "send the summary as docs/FORMAT.md describes")
        let flags = try reader.varint("flags")
        guard flags & ~Self.listsEverythingFlag == 0 else { throw reader.corrupt("unknown flags \(flags)") }
        let rootCount = try reader.count("root count", limit: bytes.count)
        var roots: [String] = []
        for _ in 0..<rootCount {
            guard let root = String(validating: try reader.lengthPrefixed("root", limit: RelativePath.maximumLength), as: UTF8.self) else {
                throw reader.corrupt("a root is not valid UTF-8")
            }
            roots.append(root)
        }
        let tagCount = try reader.count("tag count", limit: (bytes.count - reader.offset) / 10)
        var tags: [Tag] = []
        tags.reserveCapacity(tagCount)
        for _ in 0..<tagCount {
            let path = try reader.littleEndian("path tag", count: 2)
            tags.append(Tag(path: UInt16(path), content: try reader.littleEndian("content tag", count: 8)))
        }
        guard try reader.atEnd() else { throw reader.corrupt("unexpected bytes after the last tag") }
        self.init(roots: roots, listsEverything: flags == Self.listsEverythingFlag, tags: tags)
    }
}
