import Dispatch
import Glibc
import Synchronization

/// Work that reads many files, spread over threads: each thread takes the next file when it finishes one, so one
/// large file does not hold up the rest, and reads through one buffer of its own.
package enum ParallelReads {
    /// The bytes each thread reads at once.
    package static let bufferSize = 1 << 20

    /// The number of online cores: how many threads read by default.
    package static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// `body(index, buffer)` for every index below `count`, on up to `threads` threads; the results in index order.
    package static func map<Result>(
        _ count: Int, threads: Int, _ body: (Int, UnsafeMutableRawBufferPointer) -> Result
    ) -> [Result] {
        let results = UnsafeMutableBufferPointer<Result>.allocate(capacity: count)
        defer { results.deallocate() }
        let next = Atomic<Int>(0)
        nonisolated(unsafe) let output = results
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: min(max(1, threads), max(1, count))) { _ in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
                defer { buffer.deallocate() }
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < count else { return }
                    (output.baseAddress! + index).initialize(to: body(index, buffer))
                }
            }
        }
        let collected = Array(results)
        _ = results.deinitialize()
        return collected
    }
}
