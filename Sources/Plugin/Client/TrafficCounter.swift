import Synchronization

/// The bytes one push's requests carried each way, counted as HTTP bodies (the headers, a few hundred bytes a
/// request, are left out). Shared by every copy of the clients it is given to, so every request counts.
final class TrafficCounter: Sendable {
    private let counts = Mutex((sent: 0, received: 0))

    func add(sent: Int, received: Int) {
        counts.withLock {
            $0.sent += sent
            $0.received += received
        }
    }

    /// Request bodies uploaded.
    var sent: Int { counts.withLock { $0.sent } }

    /// Response bodies downloaded (manifests, signatures, answers), error answers included.
    var received: Int { counts.withLock { $0.received } }
}
