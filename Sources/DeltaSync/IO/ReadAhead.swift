import Dispatch

/// Reads a source a piece ahead of its consumer, on another thread, and feeds the whole-file digest with
/// each piece as it arrives: reading a file (a copy out of the page cache) and hashing it overlap with
/// the work on the piece before.
///
/// Only its owner calls it, from one thread. At most one read is in flight: ``start(into:inBackground:)``
/// hands over a space the owner leaves alone until ``finish()`` returns, and the source is only read by
/// one thread at a time (so any ``ByteSource`` will do).
final class ReadAhead<Source: ByteSource>: @unchecked Sendable {
    private var source: Source
    private var hasher = FileDigest.Hasher()
    private let group = DispatchGroup()
    private var inFlight = false
    private var outcome: Result<(count: Int, ended: Bool), DeltaSyncError> = .success((0, false))

    init(_ source: Source) {
        self.source = source
    }

    deinit { group.wait() }

    /// Returns when no read is running (the space given to the last one may be reused or freed).
    func wait() {
        group.wait()
    }

    /// Whether a read has been started and not finished.
    var isReading: Bool { inFlight }

    /// Starts filling `space` from the source, until it is full or the source ends, and feeding the digest
    /// with what was read; on another thread when `inBackground`, otherwise before returning.
    func start(into space: UnsafeMutableRawBufferPointer, inBackground: Bool) {
        precondition(!inFlight, "one read at a time")
        inFlight = true
        guard inBackground else {
            outcome = fill(space)
            return
        }
        nonisolated(unsafe) let space = space
        group.enter()
        DispatchQueue.global().async {
            self.outcome = self.fill(space)
            self.group.leave()
        }
    }

    /// Waits for the read started last; returns how many bytes it put at the front of its space and whether
    /// the source ended there.
    func finish() throws(DeltaSyncError) -> (count: Int, ended: Bool) {
        precondition(inFlight, "no read to finish")
        group.wait()
        inFlight = false
        return try outcome.get()
    }

    /// The digest of everything read so far.
    func digest() -> FileDigest {
        group.wait()
        return hasher.finalize()
    }

    private func fill(_ space: UnsafeMutableRawBufferPointer) -> Result<(count: Int, ended: Bool), DeltaSyncError> {
        var filled = 0
        var ended = false
        do throws(DeltaSyncError) {
            while filled < space.count {
                let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: space[filled...]))
                if count == 0 {
                    ended = true
                    break
                }
                filled += count
            }
        } catch {
            return .failure(error)
        }
        hasher.update(UnsafeRawBufferPointer(rebasing: space[..<filled]))
        return .success((filled, ended))
    }
}
