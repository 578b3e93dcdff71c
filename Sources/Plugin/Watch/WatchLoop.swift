import DeltaSync
import Dispatch
import Foundation
import Synchronization

/// `--watch`: pushes once, then again whenever the directory changes, until Ctrl-C.
///
/// Changes are debounced (pushed once the directory has been quiet for ``debounce``), so an editor's
/// write-to-temp-then-rename, or a branch switch touching hundreds of files, becomes one push. A push that fails
/// because the controller is unreachable (it restarts, the link dropped) is retried with a growing delay; a
/// one-line status shows syncing, synced or the error.
struct WatchLoop {
    let targets: [PushTarget]
    let options: PushOptions
    let environment: [String: String]
    let terminal: Terminal
    var debounce: Duration = .milliseconds(200)
    /// Pretends the system allows this many inotify watches (tests of the polling fallback).
    var watchLimit: Int?
    /// The directory's scanner from one push to the next: a push scans what changed, not the whole tree again.
    private let scanners = ScannerKeeper()

    /// Runs until `stop` says so; it is checked at least every quarter second, never in the middle of a push.
    func run(until stop: @escaping @Sendable () -> Bool) async throws {
        let watcher = try DirectoryWatcher(
            root: options.directory, ignoreRules: try IgnoreRules.load(root: options.directory), watchLimit: watchLimit)
        if case .polling(let reason) = watcher.mode {
            terminal.print(terminal.paint("warning: \(reason); watching by scanning the directory once a second instead", .yellow))
        } else {
            terminal.print("Watching \(options.directory) (Ctrl-C to stop)")
        }
        var pending = true
        var delay: Duration = .seconds(1)
        var retryAt: ContinuousClock.Instant?
        while !stop() {
            if pending, retryAt.map({ ContinuousClock.now >= $0 }) ?? true {
                while !stop(), await watcher.waitForChange(timeout: debounce) {}
                if stop() { break }
                terminal.status("syncing…")
                if let problem = await pushOnce() {
                    terminal.status(terminal.paint("error: \(problem) (retrying in \(PushSession.seconds(delay)))", .red))
                    retryAt = ContinuousClock.now + delay
                    delay = min(delay * 2, .seconds(30))
                } else {
                    terminal.status(terminal.paint("synced at \(Self.clock())", .green) + "; watching for changes")
                    pending = false
                    retryAt = nil
                    delay = .seconds(1)
                }
                continue
            }
            if await watcher.waitForChange(timeout: .milliseconds(250)) { pending = true }
        }
        terminal.print("Stopped watching.")
    }

    /// Pushes to every target; returns what went wrong, or `nil`.
    private func pushOnce() async -> String? {
        var problems: [String] = []
        for target in targets {
            let prefix = targets.count > 1 ? "\(target.label): " : ""
            do {
                var session = PushRunner.session(target, options, environment, terminal)
                session.scanners = scanners
                let outcome = try await session.run()
                if !outcome.succeeded { terminal.print("\(prefix)the push went through, but not everything went well (see above)") }
            } catch let error as ClientError {
                problems.append(prefix + error.message)
            } catch let error as DeltaSyncError {
                problems.append(prefix + error.message)
            } catch {
                problems.append(prefix + "\(error)")
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    private static func clock() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date())
    }

    /// Ctrl-C stops the loop after the push in flight; a second Ctrl-C exits at once.
    static func stopOnInterrupt() -> @Sendable () -> Bool {
        let flag = StopFlag()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            if flag.requested.exchange(true, ordering: .relaxed) { exit(130) }
        }
        source.resume()
        flag.source = source
        return { flag.requested.load(ordering: .relaxed) }
    }

    /// Holds the signal source alive for as long as the stop closure is.
    private final class StopFlag: @unchecked Sendable {
        let requested = Atomic<Bool>(false)
        var source: (any DispatchSourceSignal)?
    }
}
