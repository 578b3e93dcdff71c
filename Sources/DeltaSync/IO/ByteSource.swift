/// Something bytes are read from in order: a file, a socket body, an array in memory.
///
/// Engine operations are generic over their sources so the same streaming code serves a 4 GiB file
/// and a 40-byte test vector, with no copy of the whole input in either case.
public protocol ByteSource {
    /// Fills the front of `buffer` and returns how many bytes were read; 0 means the source is exhausted.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(DeltaSyncError) -> Int
}

extension ByteSource {
    /// Reads everything left, a piece at a time through `buffer`, handing each piece to `body`; returns how many
    /// bytes were read.
    @discardableResult
    package mutating func readAll(
        through buffer: UnsafeMutableRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(DeltaSyncError) -> Int {
        var total = 0
        while true {
            let count = try read(into: buffer)
            if count == 0 { return total }
            body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            total += count
        }
    }
}

/// Something that can be read at any offset, as a patch reads its basis.
public protocol RandomAccessByteSource {
    /// The number of bytes available.
    var count: Int { get }
    /// Fills all of `buffer` with the bytes at `offset`, or throws if they are not all there.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(DeltaSyncError)
}

/// Something bytes are written to in order.
public protocol ByteSink {
    /// Appends all of `bytes`.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(DeltaSyncError)
}

/// Bytes in memory, read from the front.
public struct MemorySource: ByteSource, RandomAccessByteSource, Sendable {
    /// All the bytes, including those already read.
    public let bytes: [UInt8]
    private var position = 0

    /// A source over `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var count: Int { bytes.count }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(DeltaSyncError) -> Int {
        let count = min(buffer.count, bytes.count - position)
        if count > 0 {
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: count) }
        }
        position += count
        return count
    }

    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(DeltaSyncError) {
        guard offset >= 0, buffer.count <= bytes.count - offset else {
            throw DeltaSyncError(.truncated, "read of \(buffer.count) bytes at \(offset) is past the end (\(bytes.count))")
        }
        if buffer.count > 0 {
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: buffer.count) }
        }
    }
}

/// Collects written bytes in memory.
public struct MemorySink: ByteSink, Sendable {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty sink.
    public init() {}

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(DeltaSyncError) {
        self.bytes.append(contentsOf: bytes)
    }
}
