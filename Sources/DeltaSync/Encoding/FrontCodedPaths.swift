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
        var path = path
        path.withUTF8 { bytes in
            let shared = previous.withUnsafeBufferPointer { previous in
                let limit = min(previous.count, bytes.count)
                var shared = 0
                while shared < limit, previous[shared] == bytes[shared] { shared += 1 }
                return shared
            }
            writer.varint(shared)
            writer.varint(bytes.count - shared)
            writer.bytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[shared...])))
            previous.removeAll(keepingCapacity: true)
            previous.append(contentsOf: bytes)
        }
    }

    /// Reads the next path, refusing one that is not valid UTF-8 or does not come strictly after the one before.
    /// Paths are not checked to be safe: the caller validates each before using it.
    package mutating func read<Source>(from reader: inout ByteReader<Source>) throws(DeltaSyncError) -> String {
        let shared = try reader.count("shared path prefix", limit: previous.count)
        let suffix = try reader.lengthPrefixed("path", limit: RelativePath.maximumLength)
        guard shared + suffix.count <= RelativePath.maximumLength else {
            throw reader.corrupt("a path is longer than \(RelativePath.maximumLength) bytes")
        }
        // Strictly after the previous path: past the shared bytes, the rest must sort after the previous path's rest.
        guard !started || previous[shared...].lexicographicallyPrecedes(suffix) else {
            throw reader.corrupt("entries are not in strictly increasing path order")
        }
        previous.removeSubrange(shared...)
        previous.append(contentsOf: suffix)
        guard let path = String(validating: previous, as: UTF8.self) else {
            throw reader.corrupt("a path is not valid UTF-8")
        }
        started = true
        return path
    }
}
