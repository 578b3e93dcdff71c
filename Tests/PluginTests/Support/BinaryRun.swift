import Foundation
import TestSupport
import Testing

/// The `fastpush` binary the package built, run as cf or a developer runs it.
enum FastPushBinary {
    /// Beside the test bundle in the build folder.
    static var path: String { BuildProducts.path(of: "fastpush") ?? "fastpush (not in the build folder)" }

    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs the binary with `arguments` in `directory`, adding `environment` to this process's.
    ///
    /// The wait happens on a thread of its own: the binary often talks to a controller in this process, which
    /// needs Swift concurrency's few threads, so none of them may be blocked waiting for it.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil
    ) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try runBlocking(arguments, environment: environment, in: directory) }) }
                .start()
        }
    }

    private static func runBlocking(_ arguments: [String], environment: [String: String], in directory: String?) throws -> Run {
        let path = Self.path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure(description: "the fastpush binary is not in the build folder (\(path)); run `swift build` first")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        merged["NO_COLOR"] = "1"
        process.environment = merged
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes while the process runs, so a full pipe cannot block it.
        nonisolated(unsafe) var errorBytes = Data()
        let reader = Thread { errorBytes = errors.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outputBytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Run(
            status: process.terminationStatus, output: String(decoding: outputBytes, as: UTF8.self),
            errors: String(decoding: errorBytes, as: UTF8.self))
    }

    struct Failure: Error, CustomStringConvertible { let description: String }
}
