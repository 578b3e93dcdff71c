/// Paths written in strictly increasing byte order, each as the number of bytes it shares with the path before it
/// and the rest (docs/FORMAT.md, "Manifest"): the paths of a tree share long prefixes, so a path costs a few bytes.
///
///     varint shared · varint suffixLength · suffix
package struct FrontCodedPaths {
    private var previous: [UInt8] = []
    private var started = false

    package init() {}

    /// Appends `path`, which must come after the path written before it.
    package mutating func write(_ path: String, to writer: inout ByteWriter) {
        let bytes = Array(path.utf8)
        let shared = zip(previous, bytes).prefix { $0 == $1 }.count
        writer.varint(shared)
        writer.lengthPrefixed(Array(bytes[shared...]))
        previous = bytes
    }

    /// Reads the next path, refusing one that is not valid UTF-8 or does not come strictly after the one before.
    /// Paths are not checked to be safe: the caller validates each before using it.
    package mutating func read<Source>(from reader: inout ByteReader<Source>) throws(DeltaSyncError) -> String {
        let shared = try reader.count("shared path prefix", limit: previous.count)
        let suffix = try reader.lengthPrefixed("path", limit: RelativePath.maximumLength)
        let bytes = Array(previous[..<shared] + suffix)
        guard bytes.count <= RelativePath.maximumLength else {
            throw reader.corrupt("a path is longer than \(RelativePath.maximumLength) bytes")
        }
        guard let path = String(validating: bytes, as: UTF8.self) else {
            throw reader.corrupt("a path is not valid UTF-8")
        }
        guard !started || previous.lexicographicallyPrecedes(bytes) else {
            throw reader.corrupt("entries are not in strictly increasing path order")
        }
        previous = bytes
        started = true
        return path
    }
}
