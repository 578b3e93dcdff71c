import Dispatch
import Glibc
import Synchronization

/// Work spread over threads: hashing files, flushing them, making a push's deltas, scanning and signing large files.
enum Parallel {
    /// The processors online, at least 1.
    static let processorCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// `body(index)` for every index below `count`, on at most `threads` threads, in index order. Each thread
    /// takes the next index when it finishes one, so one slow item does not hold up the rest.
    static func map<Value>(_ count: Int, threads: Int, _ body: (Int) -> Value) -> [Value] {
        let results = UnsafeMutableBufferPointer<Value>.allocate(capacity: count)
        defer { results.deallocate() }
        let next = WorkCounter()
        nonisolated(unsafe) let output = results
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: min(threads, max(1, count))) { _ in
                while true {
                    let index = next.take()
                    guard index < count else { return }
                    (output.baseAddress! + index).initialize(to: body(index))
                }
            }
        }
        let collected = Array(results)
        _ = results.deinitialize()
        return collected
    }
}

/// Hands out consecutive indices to threads.
final class WorkCounter: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}
