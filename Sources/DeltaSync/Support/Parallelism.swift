import Glibc

/// How many threads the engine's parallel work may use.
enum Parallelism {
    /// The processors online, at least 1.
    static let processorCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
