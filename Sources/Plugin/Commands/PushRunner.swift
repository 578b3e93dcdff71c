import ArgumentParser
import DeltaSync
import Foundation

/// Runs a push or a status request for a command and turns the outcome into an exit code.
enum PushRunner {
    /// Pushes to one controller, or to each of several (instances of one app) with a consistency report.
    static func push(
        targets: [PushTarget], options: PushOptions, environment: [String: String], terminal: Terminal
    ) async throws {
        try checkDirectory(options.directory)
        if options.watch {
            try await failingClearly {
                try await WatchLoop(targets: targets, options: options, environment: environment, terminal: terminal)
                    .run(until: WatchLoop.stopOnInterrupt())
            }
            return
        }
        if targets.count == 1 {
            let outcome = try await failingClearly { try await session(targets[0], options, environment, terminal).run() }
            if !outcome.succeeded { throw ExitCode(1) }
            return
        }
        var results: [(target: PushTarget, outcome: PushSession.Outcome?, error: String?)] = []
        for target in targets {
            terminal.print(terminal.paint("== \(target.label) ==", .bold))
            do {
                results.append((target, try await session(target, options, environment, terminal).run(), nil))
            } catch let error as ClientError {
                terminal.print(terminal.paint("failed: \(error.message)", .red))
                results.append((target, nil, error.message))
            } catch let error as DeltaSyncError {
                terminal.print(terminal.paint("failed: \(error.message)", .red))
                results.append((target, nil, error.message))
            }
        }
        let report = InstanceReport(results: results.map { ($0.target.label, $0.outcome, $0.error) }, dryRun: options.dryRun)
        report.print(to: terminal)
        if !report.allSucceeded { throw ExitCode(1) }
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

    static func status(
        endpoint: ControllerEndpoint, directory: String, environment: [String: String], terminal: Terminal
    ) async throws {
        let client = ControllerClient(endpoint: endpoint, trace: HTTPTrace.from(environment: environment))
        let report = try await failingClearly {
            try await StatusReport.gather(
                client: client, directory: directory, cache: PushCache(endpoint: endpoint, environment: environment))
        }
        report.print(to: terminal)
    }

    static func checkDirectory(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a directory: give the app's directory (the one you cf push)")
        }
    }

    /// Runs `body`; an error becomes one line on standard error and exit code 1.
    private static func failingClearly<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as ClientError {
            printError("fastpush: \(error.message)")
            throw ExitCode(1)
        } catch let error as DeltaSyncError {
            printError("fastpush: \(error.message)")
            throw ExitCode(1)
        }
    }
}
