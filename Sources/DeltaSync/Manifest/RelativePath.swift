import Glibc

/// Rules for the relative paths manifests hold and pushes name: '/'-separated, relative to a root, and
/// unable to leave it.
///
/// Anything that arrives from a network is checked with ``validate(_:)`` before it is used to touch a file.
public enum RelativePath {
    /// The longest path accepted (Linux's PATH_MAX).
    public static let maximumLength = 4096
    /// The longest single component accepted (Linux's NAME_MAX).
    public static let maximumComponentLength = 255

    /// Throws unless `path` is a normalized relative path: not empty, no leading or trailing '/', no empty,
    /// `.` or `..` components, no NUL, within the length limits.
    public static func validate(_ path: String) throws(DeltaSyncError) {
        var bytes = path
        // Read in place: every path of every manifest and bundle passes here.
        let problem: String? = bytes.withUTF8 { bytes in
            guard !bytes.isEmpty else { return "it is empty" }
            guard bytes.count <= maximumLength else { return "it is longer than \(maximumLength) bytes" }
            guard !bytes.contains(0) else { return "it contains a NUL byte" }
            guard bytes[0] != 0x2F else { return "it is absolute; paths must be relative to the app root" }
            var start = 0
            for end in 0...bytes.count where end == bytes.count || bytes[end] == 0x2F {
                switch end - start {
                case 0: return "it has an empty component"
                case 1 where bytes[start] == 0x2E: return "it has a '.' component"
                case 2 where bytes[start] == 0x2E && bytes[start + 1] == 0x2E: return "it has a '..' component"
                case (maximumComponentLength + 1)...: return "a component is longer than \(maximumComponentLength) bytes"
                default: start = end + 1
                }
            }
            return nil
        }
        if let problem { throw DeltaSyncError(.invalidPath, "unsafe path \(quoted(path)): \(problem)") }
    }

    /// The parent of `path`, or "" for a top-level entry.
    public static func parent(of path: String) -> Substring {
        guard let slash = path.utf8.lastIndex(of: 0x2F) else { return "" }
        return path[..<slash]
    }

    /// The last component of `path`.
    public static func name(of path: String) -> Substring {
        guard let slash = path.utf8.lastIndex(of: 0x2F) else { return path[...] }
        return path[path.utf8.index(after: slash)...]
    }

    /// `parent/name`, or `name` at the root.
    public static func join(_ parent: String, _ name: String) -> String {
        parent.isEmpty ? name : parent + "/" + name
    }

    /// Byte order of UTF-8, the order manifests keep (`String`'s `<` compares Unicode scalars instead).
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        compareBytes(lhs, rhs) < 0
    }

    /// Compares the UTF-8 bytes of two paths with `memcmp`: sorting and looking up tens of thousands of paths
    /// is most of what a large tree's manifest costs, and the generic comparison of `String.UTF8View` is several
    /// times slower. Negative, zero or positive, as `memcmp`.
    static func compareBytes(_ lhs: String, _ rhs: String) -> Int {
        var (lhs, rhs) = (lhs, rhs)
        return lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                let shared = min(left.count, right.count)
                let order = shared == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, shared)
                return order != 0 ? Int(order) : left.count - right.count
            }
        }
    }

    /// A path for messages, with control characters escaped.
    public static func quoted(_ path: String) -> String {
        "\"" + escapingControlCharacters(path, andQuotes: true) + "\""
    }

    /// A path as a line of output shows it: as it is, or ``quoted(_:)`` when it holds control characters, so that a
    /// file name cannot move the cursor, clear the screen or color what follows.
    public static func displayed(_ path: String) -> String {
        path.unicodeScalars.contains(where: isControlCharacter) ? quoted(path) : path
    }

    /// `text` with its control characters (and `"` if asked) written as escapes such as `\u{1B}`.
    public static func escapingControlCharacters(_ text: String, andQuotes: Bool = false) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            if isControlCharacter(scalar) || (andQuotes && scalar == "\"") {
                escaped += scalar.escaped(asASCII: true)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func isControlCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
