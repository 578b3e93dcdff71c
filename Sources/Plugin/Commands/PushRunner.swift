import ArgumentParser
import DeltaSync
import Foundation

/// Runs a push or a status request for a command and turns the outcome into an exit code.
enum PushRunner {
    /// Instances pushed to at once: enough to hide round trips, few enough not to crowd a slow link.
    static let concurrentInstances = 4

    /// Pushes to one controller, or to several (instances of one app) at once with a consistency report;
    /// `skipped` are instances left out, with their state. A failure is thrown as a ``ClientError`` for the
    /// caller to print in its own style.
    static func push(
        targets: [PushTarget], skipped: [(label: String, state: String)] = [], options: PushOptions,
        environment: [String: String], terminal: Terminal
    ) async throws {
        try checkDirectory(options.directory)
        if options.watch {
            try await failingClearly {
                try await WatchLoop(targets: targets, options: options, environment: environment, terminal: terminal)
                    .run(until: WatchLoop.stopOnInterrupt())
            }
            return
        }
        if targets.count == 1 && skipped.isEmpty {
            let outcome = try await failingClearly { try await session(targets[0], options, environment, terminal).run() }
            if !outcome.succeeded { throw ClientError.reported }
            return
        }
        let results = await pushConcurrently(targets, options: options, environment: environment, terminal: terminal)
        let report = InstanceReport(
            results: results.map { ($0.target.label, $0.outcome, $0.error) }, skipped: skipped, dryRun: options.dryRun)
        report.print(to: terminal)
        if !report.allSucceeded { throw ClientError.reported }
    }

    /// Pushes to every target, ``concurrentInstances`` at a time; each push's lines are printed whole under
    /// `== label ==` once it is done, in the targets' order.
    private static func pushConcurrently(
        _ targets: [PushTarget], options: PushOptions, environment: [String: String], terminal: Terminal
    ) async -> [(target: PushTarget, outcome: PushSession.Outcome?, error: String?)] {
        typealias Result = (lines: [String], outcome: PushSession.Outcome?, error: String?)
        var results = [Result?](repeating: nil, count: targets.count)
        await withTaskGroup(of: (Int, Result).self) { group in
            var started = 0
            func start() {
                let index = started
                started += 1
                group.addTask {
                    let captured = Terminal(capturing: (), colours: terminal.colours)
                    do {
                        let outcome = try await failingClearly {
                            try await session(targets[index], options, environment, captured).run()
                        }
                        return (index, (captured.captured, outcome, nil))
                    } catch {
                        let message = (error as? ClientError)?.message ?? "\(error)"
                        return (index, (captured.captured + [terminal.paint("failed: \(message)", .red)], nil, message))
                    }
                }
            }
            while started < min(concurrentInstances, targets.count) { start() }
            var printed = 0
            for await (index, result) in group {
                results[index] = result
                if started < targets.count { start() }
                while printed < targets.count, let done = results[printed] {
                    terminal.print(terminal.paint("== \(targets[printed].label) ==", .bold))
                    for line in done.lines { terminal.print(line) }
                    printed += 1
                }
            }
        }
        return zip(targets, results).map { target, result in (target, result?.outcome, result?.error) }
    }

    static func session(
        _ target: PushTarget, _ options: PushOptions, _ environment: [String: String], _ terminal: Terminal
    ) -> PushSession {
        let trace = HTTPTrace.from(environment: environment)
        return PushSession(
            client: ControllerClient(endpoint: target.endpoint, trace: trace),
            legacyClient: target.legacyEndpoint.map { ControllerClient(endpoint: $0, trace: trace) },
            cache: PushCache(endpoint: target.endpoint, environment: environment), options: options, terminal: terminal)
    }

    /// Shows each target's status, under `== label ==` when there are several; `skipped` instances are named with
    /// their state.
    static func status(
        targets: [PushTarget], skipped: [(label: String, state: String)] = [], directory: String,
        environment: [String: String], terminal: Terminal
    ) async throws {
        let labelled = targets.count + skipped.count > 1
        var failures = 0
        for target in targets {
            if labelled { terminal.print(terminal.paint("== \(target.label) ==", .bold)) }
            let client = ControllerClient(endpoint: target.endpoint, trace: HTTPTrace.from(environment: environment))
            do {
                let report = try await failingClearly {
                    try await StatusReport.gather(
                        client: client, directory: directory, cache: PushCache(endpoint: target.endpoint, environment: environment))
                }
                report.print(to: terminal)
            } catch let error as ClientError where labelled {
                terminal.print(terminal.paint("failed: \(error.message)", .red))
                failures += 1
            }
        }
        for instance in skipped {
            terminal.print(terminal.paint("== \(instance.label) ==", .bold))
            terminal.print("not running: \(instance.state)")
        }
        if failures > 0 { throw ClientError("\(failures) of \(targets.count) instances did not answer: see above") }
    }

    static func checkDirectory(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a directory: give the app's directory (the one you cf push)")
        }
    }

    /// Runs `body`; the engine's errors become ``ClientError``s, so callers have one kind of failure to print.
    private static func failingClearly<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as DeltaSyncError {
            throw ClientError(error.message)
        }
    }
}
