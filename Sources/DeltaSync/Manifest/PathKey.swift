/// A path as a key that compares, hashes and sorts by its UTF-8 bytes.
///
/// Swift's `String` equality, hashing and `<` follow Unicode canonical equivalence, so "café" spelled with a
/// precomposed "é" (NFC) and with "e" plus a combining accent (NFD) are one `String` but two different names
/// on Linux. Maps, sets, sorts and duplicate checks over paths key them by `PathKey` so both files stay
/// distinct; the order is ``RelativePath/precedes(_:_:)``, the order manifests keep.
public struct PathKey: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The path.
    public let path: String

    /// The key of `path`.
    public init(_ path: String) { self.path = path }

    public init(stringLiteral path: String) { self.path = path }

    public static func == (lhs: PathKey, rhs: PathKey) -> Bool {
        RelativePath.compareBytes(lhs.path, rhs.path) == 0
    }

    public static func < (lhs: PathKey, rhs: PathKey) -> Bool {
        RelativePath.precedes(lhs.path, rhs.path)
    }

    public func hash(into hasher: inout Hasher) {
        var bytes = path
        bytes.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    public var description: String { path }
}
