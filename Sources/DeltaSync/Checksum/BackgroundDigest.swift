import Dispatch
import Glibc
import Synchronization

/// A whole-file digest fed on another thread, a piece at a time, while the caller works on the same
/// piece: reading a file and matching it need not wait for its XXH3-128.
///
/// Only the owner calls it, from one thread, and each call first finishes the previous piece. A piece
/// whose background job has not started by then (every processor busy with other work) is taken back and
/// hashed by the owner at once, so a busy machine costs a thread hop, never a wait for the scheduler.
final class BackgroundDigest: @unchecked Sendable {
    /// Pieces smaller than this are hashed at once: a thread hop would cost more than it saves.
    static let backgroundMinimum = 64 * 1024

    // The piece's state: nothing pending, waiting for a thread, being hashed in the background.
    private static let idle = 0
    private static let queued = 1
    private static let running = 2

    private var hasher = FileDigest.Hasher()
    private let state = Atomic<Int>(BackgroundDigest.idle)
    private var piece = UnsafeRawBufferPointer(start: nil, count: 0)

    /// Feeds `bytes`, in the background when asked to and large enough; the bytes must stay unchanged
    /// until the next call of any method.
    func update(_ bytes: UnsafeRawBufferPointer, inBackground: Bool) {
        wait()
        guard inBackground && bytes.count >= Self.backgroundMinimum else {
            hasher.update(bytes)
            return
        }
        piece = bytes
        state.store(Self.queued, ordering: .releasing)
        // The job hashes whatever piece is queued when it runs; a job that finds none (its piece was taken
        // back) does nothing.
        DispatchQueue.global().async {
            guard self.state.compareExchange(expected: Self.queued, desired: Self.running, ordering: .acquiring).exchanged
            else { return }
            self.hasher.update(self.piece)
            self.state.store(Self.idle, ordering: .releasing)
        }
    }

    /// Returns when the last piece is hashed: at once if it was, after hashing it here if its job has not
    /// started, after the job if it is running (a matter of microseconds: it is on a processor).
    func wait() {
        while true {
            let current = state.load(ordering: .acquiring)
            if current == Self.idle { return }
            if current == Self.queued {
                if state.compareExchange(expected: Self.queued, desired: Self.idle, ordering: .acquiring).exchanged {
                    hasher.update(piece)
                    return
                }
                continue
            }
            sched_yield()
        }
    }

    /// The digest of everything fed so far.
    func finalize() -> FileDigest {
        wait()
        return hasher.finalize()
    }
}
