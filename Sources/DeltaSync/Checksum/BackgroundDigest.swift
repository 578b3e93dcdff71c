import Dispatch

/// A whole-file digest fed on another thread, a piece at a time, while the caller works on the same
/// piece: reading a file and matching it need not wait for its XXH3-128.
///
/// Only the owner calls it, from one thread; the background work is one piece at a time, and each call
/// first waits for the previous piece.
final class BackgroundDigest: @unchecked Sendable {
    /// Pieces smaller than this are hashed at once: a thread hop would cost more than it saves.
    static let backgroundMinimum = 64 * 1024

    private var hasher = FileDigest.Hasher()
    private let group = DispatchGroup()
    private var pending = false

    /// Feeds `bytes`, in the background when asked to and large enough; the bytes must stay unchanged
    /// until the next call of any method.
    func update(_ bytes: UnsafeRawBufferPointer, inBackground: Bool) {
        wait()
        guard inBackground && bytes.count >= Self.backgroundMinimum else {
            hasher.update(bytes)
            return
        }
        pending = true
        nonisolated(unsafe) let bytes = bytes
        group.enter()
        DispatchQueue.global().async {
            self.hasher.update(bytes)
            self.group.leave()
        }
    }

    /// Returns when the piece being hashed in the background, if any, is done.
    func wait() {
        guard pending else { return }
        group.wait()
        pending = false
    }

    /// The digest of everything fed so far.
    func finalize() -> FileDigest {
        wait()
        return hasher.finalize()
    }
}
