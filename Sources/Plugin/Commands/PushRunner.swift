import ArgumentParser
import DeltaSync
import Foundation

/// Runs a push or a status request for a command and turns the outcome into an exit code.
enum PushRunner {
    static func push(
        endpoint: ControllerEndpoint, legacyEndpoint: ControllerEndpoint? = nil, options: PushOptions,
        environment: [String: String], terminal: Terminal
    ) async throws {
        try checkDirectory(options.directory)
        let trace = HTTPTrace.from(environment: environment)
        let session = PushSession(
            client: ControllerClient(endpoint: endpoint, trace: trace),
            legacyClient: legacyEndpoint.map { ControllerClient(endpoint: $0, trace: trace) },
            cache: PushCache(endpoint: endpoint, environment: environment), options: options, terminal: terminal)
        let outcome = try await failingClearly { try await session.run() }
        if !outcome.succeeded { throw ExitCode(1) }
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
