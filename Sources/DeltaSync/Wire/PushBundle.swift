/// A push: the operations that bring a server's tree to the client's state, each with its precondition.
///
/// The binary form (docs/FORMAT.md, "Push bundle") streams: operations follow one another and the
/// bundle ends with their count, so a truncated upload is always detected.
public struct PushBundle: Hashable, Sendable {
    static let magic: [UInt8] = Array("FPPB".utf8)
    static let version: UInt8 = 1
    /// The most bytes one file's delta may have inside a bundle.
    public static let maximumDeltaLength = 1 << 34

    /// The flag bit of a shared dictionary; no other bit is defined.
    static let dictionaryFlag: UInt64 = 1

    /// The operations, applied in order.
    public var operations: [PushOperation]
    /// Bytes every file's delta was made with as the dictionary before its first byte (at most 32 KiB; empty for
    /// none), so that files compress against text they share, as in one stream. Sent once, deflated.
    public var dictionary: [UInt8]

    /// A bundle of `operations` whose deltas were made with `dictionary`.
    public init(operations: [PushOperation], dictionary: [UInt8] = []) {
        self.operations = operations
        self.dictionary = dictionary
    }

    /// The binary form.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes(Self.magic)
        writer.byte(Self.version)
        writer.varint(dictionary.isEmpty ? 0 : Self.dictionaryFlag)
        if !dictionary.isEmpty {
            writer.varint(dictionary.count)
            let deflated = dictionary.withUnsafeBytes { LiteralCompressor().compress($0, dictionary: UnsafeRawBufferPointer(start: nil, count: 0)) }
            writer.varint(deflated?.count ?? 0)
            writer.bytes(deflated ?? dictionary)
        }
        for operation in operations {
            switch operation {
            case .file(let path, let expected, let mode, let delta):
                writer.byte(1)
                writer.lengthPrefixed(Array(path.utf8))
                expected.write(to: &writer)
                writer.varint(UInt64(mode))
                writer.lengthPrefixed(delta)
            case .directory(let path, let mode):
                writer.byte(2)
                writer.lengthPrefixed(Array(path.utf8))
                writer.varint(UInt64(mode))
            case .symlink(let path, let expected, let target):
                writer.byte(3)
                writer.lengthPrefixed(Array(path.utf8))
                expected.write(to: &writer)
                writer.lengthPrefixed(Array(target.utf8))
            case .delete(let path, let expected):
                writer.byte(4)
                writer.lengthPrefixed(Array(path.utf8))
                expected.write(to: &writer)
            case .mode(let path, let expected, let mode):
                writer.byte(5)
                writer.lengthPrefixed(Array(path.utf8))
                expected.write(to: &writer)
                writer.varint(UInt64(mode))
            }
        }
        writer.byte(0)
        writer.varint(operations.count)
        return writer.bytes
    }

    /// Decodes a bundle, refusing unsafe paths and anything malformed; `maximumOperations` and
    /// `maximumDeltaLength` bound what a hostile client can make the server hold.
    public init(
        decoding source: some ByteSource, maximumOperations: Int = 1_000_000,
        maximumDeltaLength: Int = PushBundle.maximumDeltaLength
    ) throws(DeltaSyncError) {
        var reader = ByteReader(source, what: "push bundle")
        try reader.header(magic: Self.magic, version: Self.version, hint: "it must come from `fastpush push`")
        let flags = try reader.varint("flags")
        guard flags & ~Self.dictionaryFlag == 0 else {
            throw DeltaSyncError(.unsupported, "push bundle uses flags this controller does not know: update the controller")
        }
        dictionary = flags == Self.dictionaryFlag ? try Self.dictionary(&reader) : []
        var operations: [PushOperation] = []
        while true {
            let tag = try reader.byte("operation")
            if tag == 0 { break }
            guard operations.count < maximumOperations else {
                throw DeltaSyncError(.limitExceeded, "push bundle has more than \(maximumOperations) operations")
            }
            let path = try Self.path(&reader)
            switch tag {
            case 1:
                let expected = try EntryState.read(from: &reader)
                let mode = try reader.count("mode", limit: 0o7777)
                let delta = try reader.lengthPrefixed("delta of \(path)", limit: maximumDeltaLength)
                operations.append(.file(path: path, expected: expected, mode: UInt32(mode), delta: delta))
            case 2:
                operations.append(.directory(path: path, mode: UInt32(try reader.count("mode", limit: 0o7777))))
            case 3:
                let expected = try EntryState.read(from: &reader)
                let target = try reader.lengthPrefixed("symlink target", limit: RelativePath.maximumLength)
                guard let text = String(validating: target, as: UTF8.self), !target.contains(0) else {
                    throw reader.corrupt("the symlink target of \(RelativePath.quoted(path)) is not valid UTF-8")
                }
                operations.append(.symlink(path: path, expected: expected, target: text))
            case 4:
                operations.append(.delete(path: path, expected: try EntryState.read(from: &reader)))
            case 5:
                let expected = try EntryState.read(from: &reader)
                operations.append(.mode(path: path, expected: expected, mode: UInt32(try reader.count("mode", limit: 0o7777))))
            default:
                throw reader.corrupt("unknown operation 0x\(String(tag, radix: 16))")
            }
        }
        let count = try reader.count("operation count", limit: maximumOperations)
        guard count == operations.count else {
            throw reader.corrupt("the bundle says it has \(count) operations but holds \(operations.count)")
        }
        guard try reader.atEnd() else { throw reader.corrupt("unexpected bytes after the end of the bundle") }
        self.operations = operations
    }

    /// Decodes a bundle held in memory.
    public init(decoding bytes: [UInt8]) throws(DeltaSyncError) {
        try self.init(decoding: MemorySource(bytes))
    }

    /// The shared dictionary: `varint length · varint compressedLength · bytes`, stored as is when
    /// `compressedLength` is 0, else a raw deflate stream of exactly `length` bytes.
    private static func dictionary<Source: ByteSource>(_ reader: inout ByteReader<Source>) throws(DeltaSyncError) -> [UInt8] {
        let length = try reader.count("dictionary length", limit: DeltaFormat.dictionaryLength)
        guard length > 0 else { throw reader.corrupt("the dictionary flag is set but the dictionary is empty") }
        let compressedLength = try reader.count("compressed dictionary length", limit: length - 1)
        guard compressedLength > 0 else { return try reader.bytes("dictionary", count: length) }
        let compressed = try reader.bytes("compressed dictionary", count: compressedLength)
        var dictionary = [UInt8](repeating: 0, count: length)
        try compressed.withBytes { (input) throws(DeltaSyncError) in
            try dictionary.withMutableBytes { (output) throws(DeltaSyncError) in
                try LiteralDecompressor().decompress(input, dictionary: UnsafeRawBufferPointer(start: nil, count: 0), into: output)
            }
        }
        return dictionary
    }

    private static func path<Source: ByteSource>(_ reader: inout ByteReader<Source>) throws(DeltaSyncError) -> String {
        let bytes = try reader.lengthPrefixed("path", limit: RelativePath.maximumLength + 1)
        guard let path = String(validating: bytes, as: UTF8.self) else {
            throw DeltaSyncError(.invalidPath, "a path in the push bundle is not valid UTF-8")
        }
        try RelativePath.validate(path)
        return path
    }
}
