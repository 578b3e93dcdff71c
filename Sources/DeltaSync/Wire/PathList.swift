/// The paths a client names in one request (the body of `v2/signatures`), in the binary form of docs/FORMAT.md,
/// "Path list":
///
///     "FPPL" · version 1 · varint pathCount · per path: varint length · bytes
///
/// Length-prefixed like the push bundle, so every name a manifest can hold travels, one with a line feed or a
/// carriage return too. Released clients sent the paths separated by line feeds; a body without the magic is
/// still read that way, split on the byte 0x0A.
package enum PathList {
    package static let magic: [UInt8] = Array("FPPL".utf8)
    package static let version: UInt8 = 1

    /// The binary form of `paths`.
    package static func encoded(_ paths: [String]) -> [UInt8] {
        var writer = ByteWriter(capacity: 8 + paths.reduce(0) { $0 + $1.utf8.count + 2 })
        writer.bytes(magic)
        writer.byte(version)
        writer.varint(paths.count)
        for path in paths { writer.lengthPrefixed(Array(path.utf8)) }
        return writer.bytes
    }

    /// The paths in `body`, in either form. Paths are checked to be UTF-8 and no longer than PATH_MAX, not to be
    /// safe: the caller validates each before using it.
    package static func decoded(_ body: [UInt8]) throws(DeltaSyncError) -> [String] {
        guard body.starts(with: magic) else { return try newlineSeparated(body) }
        var reader = ByteReader(MemorySource(body), what: "path list")
        try reader.header(magic: magic, version: version, hint: "send the paths as docs/FORMAT.md describes")
        let count = try reader.varint("path count")
        // Every path takes at least its length byte: a larger count is a lie, and is refused before anything is
        // reserved for it.
        guard count <= UInt64(body.count) else {
            throw reader.corrupt("the path count \(count) is more than a body of \(body.count) bytes can hold")
        }
        var paths: [String] = []
        paths.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            let number = index + 1
            let length = try reader.varint("the length of path \(number)")
            guard length <= UInt64(RelativePath.maximumLength) else {
                throw reader.corrupt("path \(number) is \(length) bytes long, more than the \(RelativePath.maximumLength) a path may have")
            }
            let bytes = try reader.bytes("path \(number)", count: Int(length))
            guard let path = String(validating: bytes, as: UTF8.self) else {
                throw reader.corrupt("path \(number) is not valid UTF-8")
            }
            paths.append(path)
        }
        guard try reader.atEnd() else { throw reader.corrupt("unexpected bytes after the last path") }
        return paths
    }

    /// The form released clients send: paths separated by line feeds (0x0A, split as bytes: a carriage return
    /// before one belongs to the name).
    private static func newlineSeparated(_ body: [UInt8]) throws(DeltaSyncError) -> [String] {
        var paths: [String] = []
        for (number, line) in body.split(separator: 0x0A).enumerated() {
            guard line.count <= RelativePath.maximumLength else {
                throw DeltaSyncError(
                    .corrupt,
                    "path list is corrupt: line \(number + 1) is \(line.count) bytes long, more than the \(RelativePath.maximumLength) a path may have")
            }
            guard let path = String(validating: line, as: UTF8.self) else {
                throw DeltaSyncError(.corrupt, "path list is corrupt: line \(number + 1) is not valid UTF-8")
            }
            paths.append(path)
        }
        return paths
    }
}
