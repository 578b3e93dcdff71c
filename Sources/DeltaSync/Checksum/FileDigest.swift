internal import CXXHash

/// The XXH3-128 digest of a whole file (or any byte string): what manifests compare and what a patch
/// must reproduce before it may replace a file.
///
/// Its canonical form, in encodings and in hex, is big-endian (high 64 bits first), as `xxhsum -H2`
/// prints it.
public struct FileDigest: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The high 64 bits.
    public let high: UInt64
    /// The low 64 bits.
    public let low: UInt64

    /// A digest from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The digest of `bytes`.
    public init(of bytes: UnsafeRawBufferPointer) {
        let value = fastpush_xxh3_128(bytes.baseAddress, bytes.count)
        self.init(high: value.high64, low: value.low64)
    }

    /// The digest of `bytes`.
    public init(of bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { FileDigest(of: $0) }
    }

    /// The digest of the file at `path`, read in 1 MiB pieces.
    public init(file path: String) throws(DeltaSyncError) {
        let reader = try FileReader(path: path)
        var hasher = FileDigest.Hasher()
        try hasher.update(from: reader)
        self = hasher.finalize()
    }

    /// The 16 canonical bytes, high half first, each half big-endian.
    public var bytes: [UInt8] {
        (0..<16).map { index in
            let half = index < 8 ? high : low
            return UInt8(truncatingIfNeeded: half >> (8 * UInt64(7 - index % 8)))
        }
    }

    /// A digest from its 16 canonical bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// 32 lowercase hex digits.
    public var hex: String { Hex.encode(bytes) }

    /// A digest from 32 hex digits.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32 else { return nil }
        var bytes: [UInt8] = []
        for pair in stride(from: 0, to: 32, by: 2) {
            guard let value = UInt8(String(decoding: utf8[pair..<pair + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(value)
        }
        self.init(bytes: bytes)
    }

    /// The first 12 hex digits: enough to tell digests apart in a message.
    public var short: String { String(hex.prefix(12)) }

    public var description: String { hex }

    public static func < (lhs: FileDigest, rhs: FileDigest) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// Computes a digest incrementally, for data that arrives in pieces.
    public struct Hasher: ~Copyable {
        private let state: UnsafeMutableRawPointer

        /// A hasher with nothing fed yet.
        public init() {
            guard let state = fastpush_xxh3_128_create() else { fatalError("out of memory for an XXH3 state") }
            self.state = state
        }

        deinit { fastpush_xxh3_128_free(state) }

        /// Feeds `bytes`.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            fastpush_xxh3_128_update(state, bytes.baseAddress, bytes.count)
        }

        /// Feeds everything `source` still holds.
        public mutating func update(from source: some ByteSource) throws(DeltaSyncError) {
            var source = source
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
            defer { buffer.deallocate() }
            try source.readAll(through: buffer) { update($0) }
        }

        /// The digest of everything fed so far.
        public func finalize() -> FileDigest {
            let value = fastpush_xxh3_128_digest(state)
            return FileDigest(high: value.high64, low: value.low64)
        }
    }
}
