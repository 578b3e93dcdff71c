/// What a delta holds, counted while it was made or applied.
public struct DeltaSummary: Hashable, Sendable {
    /// The new file's size.
    public var targetSize = 0
    /// The new file's XXH3-128.
    public var targetDigest = FileDigest(high: 0, low: 0)
    /// Bytes of the new file taken from the basis.
    public var copiedBytes = 0
    /// Bytes of the new file carried in the delta itself, before compression.
    public var literalBytes = 0
    /// What those literal bytes cost in the delta, after compression where it paid.
    public var literalWireBytes = 0
    /// Copy operations (each a run of consecutive blocks).
    public var copyOperations = 0
    /// Literal operations.
    public var literalOperations = 0
    /// The encoded delta's total size.
    public var encodedSize = 0

    /// An empty summary.
    public init() {}
}
