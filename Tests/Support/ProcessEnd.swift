public import Foundation

extension Process {
    /// Waits at most `limit` for the process to end, then SIGKILLs it. Polling, because Foundation can miss a
    /// child's exit, and its `waitUntilExit` then never returns; and bounded, because a test may be waiting on
    /// one of Swift concurrency's few threads.
    public func waitForEnd(within limit: TimeInterval = 5) {
        let deadline = Date().addingTimeInterval(limit)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning { kill(processIdentifier, SIGKILL) }
    }
}
