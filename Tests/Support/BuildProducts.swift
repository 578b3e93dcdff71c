public import Foundation

/// What the tests need to know about this build and this machine.
public enum BuildProducts {
    /// The package's executable `name` beside the test bundle in the build folder (the test runner may sit inside a
    /// bundle folder, `X.xctest/...`, so the folders above it are searched too), or `nil`.
    public static func path(of name: String) -> String? {
        let tests = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: tests).deletingLastPathComponent()
        while directory.path.count > 1 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// This machine's architecture as release artifacts name it: `x86_64` or `aarch64`.
    public static var architecture: String {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return machine == "arm64" ? "aarch64" : machine
    }
}

extension Process {
    /// Runs `program` to its end (at most `limit`) and returns its exit status and its output, standard error
    /// included. `environment` `nil` inherits this process's.
    public static func runCollectingOutput(
        _ program: String, _ arguments: [String], environment: [String: String]? = nil, within limit: TimeInterval = 60
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitForEnd(within: limit)
        return (process.terminationStatus, String(decoding: bytes, as: UTF8.self))
    }
}
