import Foundation

/// The Go program in `GoPeer/`, built once per test run and started per test: a real Go
/// net/rpc server playing cf's side, so the Swift client (and the plugin binary) meet Go's own gob implementation;
/// and, for the foundation it is given (``FoundationDouble``), a Cloud Controller with v2 switched off and a router.
public final class GoPeer: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    static let sourceDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("GoPeer")

    /// Built with the local toolchain only: no module download, no toolchain switch.
    static let binary: Result<URL, Failure> = {
        do throws(Failure) { return .success(try build()) } catch { return .failure(error) }
    }()

    public let port: Int
    /// The Cloud Controller double's URL (what `ApiEndpoint` answers).
    public let cloudControllerURL: String
    /// The router double's URL, in front of the foundation's app instances.
    public let routerURL: String
    private let process: Process
    private let input: Pipe

    /// Starts a peer; `environment` adds variables it reads (such as `GOPEER_APP_FASTPUSH_TOKEN`), `foundation`
    /// describes the Cloud Foundry it fronts (by default one app, `my-app`, with one running instance).
    public init(environment: [String: String] = [:], foundation: FoundationDouble? = nil) throws {
        let executable = try Self.binary.get()
        process = Process()
        process.executableURL = executable
        var variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let foundation {
            variables["GOPEER_FOUNDATION"] = String(decoding: try JSONEncoder().encode(foundation), as: UTF8.self)
        }
        process.environment = variables
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let words = text.split(separator: " ").map(String.init)
        guard words.count == 6, words[0] == "PORT", let port = Int(words[1]), words[2] == "CC", words[4] == "ROUTER" else {
            process.terminate()
            throw Failure(description: "Go peer did not report its ports (got '\(text)')")
        }
        self.port = port
        cloudControllerURL = words[3]
        routerURL = words[5]
    }

    /// Closing stdin makes the peer exit; SIGKILL in case it does not.
    public func stop() {
        try? input.fileHandleForWriting.close()
        process.waitForEnd()
    }

    deinit { stop() }

    /// Builds into a fresh directory, then moves the binary to a place named after the source's
    /// hash, so later runs reuse it and nothing piles up in the temporary directory.
    private static func build() throws(Failure) -> URL {
        let temporary = FileManager.default.temporaryDirectory
        let sources = ["main.go", "foundation.go", "go.mod"].compactMap { try? Data(contentsOf: sourceDirectory.appendingPathComponent($0)) }
        guard sources.count == 3 else { throw Failure(description: "Go peer sources missing in \(sourceDirectory.path)") }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sources.joined() { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let cached = temporary.appendingPathComponent("gobrpc-gopeer-\(String(hash, radix: 16))/gopeer")
        if FileManager.default.isExecutableFile(atPath: cached.path) { return cached }

        guard let go = findGo() else {
            throw Failure(description: "the Go toolchain ('go') is not installed; the integration tests need it (apt-get install golang-go)")
        }
        let work = temporary.appendingPathComponent("gobrpc-gopeer-build-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let output = work.appendingPathComponent("gopeer")
        var environment = ProcessInfo.processInfo.environment
        environment["GOCACHE"] = work.appendingPathComponent("cache").path
        environment["GOPATH"] = work.appendingPathComponent("gopath").path
        environment["GOFLAGS"] = "-mod=mod"
        environment["GOTOOLCHAIN"] = "local"
        environment["GOPROXY"] = "off"
        environment["GOWORK"] = "off"
        environment["CGO_ENABLED"] = "0"
        let process = Process()
        process.executableURL = go
        process.arguments = ["build", "-o", output.path, "."]
        process.currentDirectoryURL = sourceDirectory
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            try process.run()
        } catch {
            throw Failure(description: "could not run \(go.path): \(error)")
        }
        let log = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "go build failed: \(String(decoding: log, as: UTF8.self))")
        }
        do {
            try FileManager.default.createDirectory(at: cached.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: output, to: cached)
        } catch {
            // Another test run may have put the same binary there first.
            guard FileManager.default.isExecutableFile(atPath: cached.path) else {
                throw Failure(description: "could not store the Go peer binary: \(error)")
            }
        }
        return cached
    }

    private static func findGo() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/go" } + ["/usr/lib/go/bin/go", "/usr/local/go/bin/go"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }
}
