import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import TestSupport
import Testing

@testable import Controller

/// The real `cf-fastpush-controller` binary running as a child process in an app directory, as a container
/// runs it: settings from the environment, output to a log file, stopped by a signal.
final class ControllerProcess: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Beside the test bundle in the build folder, where `swift build` puts the package's executables.
    static var binary: String {
        BuildProducts.path(of: "cf-fastpush-controller") ?? "cf-fastpush-controller (not in the build folder)"
    }

    let port: Int
    let token: String
    let log: String
    /// The controller, run as the controller runs its own backend (Controller/Backend/ChildProcess.swift): the
    /// leader of its own process group, watched by a thread that reaps it the moment it ends.
    private let process: ChildProcess

    /// Starts the binary in `app` with a fresh controller port and backend port; `backendCommand` starts the app.
    /// `settings` are more environment variables; `descriptorLimit` is the controller's `ulimit -n`.
    ///
    /// - Parameter user: Run as this user and group (with no supplementary groups) instead of the test's own, as a
    ///   container runs its app; needs root and `setpriv` (util-linux): see ``unprivilegedLauncher``.
    init(
        app: String, backendCommand: String, token: String, log: String, settings: [String: String] = [:],
        descriptorLimit: Int? = nil, user: (uid: UInt32, gid: UInt32)? = nil
    ) throws {
        let binary = Self.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Failure(
                description:
                    "the cf-fastpush-controller binary is not in the build folder (looked for \(binary)); build it with `swift build` first")
        }
        port = Int(try freeLoopbackPort())
        self.token = token
        self.log = log
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "VCAP_APPLICATION")
        environment["BIND_ADDRESS"] = "127.0.0.1"
        environment["PORT"] = String(port)
        environment["BACKEND_PORT"] = String(try freeLoopbackPort())
        environment["BACKEND_COMMAND"] = backendCommand
        environment["FASTPUSH_TOKEN"] = token
        environment["FASTPUSH_GRACE_SECONDS"] = "2"
        environment.merge(settings) { $1 }
        if user != nil {
            // The test's own home is not the user's to read (the controller looks for its config file there).
            environment["HOME"] = app
            environment.removeValue(forKey: "XDG_CONFIG_HOME")
        }
        let limit = descriptorLimit.map { "ulimit -n \($0) && " } ?? ""
        let launcher = user.map { "\(Self.unprivilegedLauncher ?? "setpriv") --reuid=\($0.uid) --regid=\($0.gid) --clear-groups " } ?? ""
        // Output to a file, not a pipe: nothing has to drain it, and a killed controller cannot block on it. The
        // shell opens the log before it drops privileges, so the log may live where the user cannot write.
        process = try ChildProcess.spawn(
            command: "\(limit)exec \(launcher)'\(binary)' >>'\(log)' 2>&1 </dev/null", workingDirectory: app, environment: environment,
            passThrough: OutputPassThrough(standardOutput: nil, standardError: nil), tail: OutputTail(capacity: 1),
            role: "cf-fastpush-controller")
    }

    /// `setpriv` (util-linux, on every Debian and Ubuntu), which starts a program as another user; `nil` when
    /// missing.
    static var unprivilegedLauncher: String? {
        ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    var pid: Int32 { process.pid }

    /// Whether the controller has ended (and how), without waiting.
    var exitStatus: String? { process.exitStatus.map { "\($0)" } }

    /// Asks `GET v2/status` until the backend is running; returns the backend's pid.
    func waitUntilBackendRuns(client: HTTPClient, timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            if let status = process.exitStatus {
                throw Failure(description: "the controller ended (\(status)) before its backend ran; log: \(tail())")
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/_fastpush/v2/status")
            request.headers.add(name: "x-auth-token", value: token)
            do {
                let response = try await client.execute(request, timeout: .seconds(5))
                let body = try await response.body.collect(upTo: 1 << 20)
                last = "\(response.status.code) \(String(buffer: body))"
                if response.status == .ok,
                    let status = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                    let backend = status["backend"] as? [String: Any], backend["state"] as? String == "running",
                    let pid = backend["pid"] as? Int
                {
                    return Int32(pid)
                }
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw Failure(description: "the controller's backend did not run within \(timeout); last answer: \(last); log: \(tail())")
    }

    /// SIGKILL, as a crash or the kernel's OOM killer ends a process: no handler, no clean-up. Returns once the
    /// controller is reaped.
    func kill() async {
        process.signalGroup(SIGKILL)
        _ = await process.waitForExitStatus()
    }

    /// SIGTERM, the graceful stop; returns once the controller has stopped its backend and exited.
    func terminate() async {
        process.signalGroup(SIGTERM)
        _ = await process.waitForExitStatus()
    }

    /// Whether the controller is still running.
    var isRunning: Bool { process.exitStatus == nil }

    /// The CPU time the controller has used so far (user and system), from /proc.
    func cpuTime() throws -> Duration {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The fields after the command's name, which is in parentheses and may hold spaces: utime and stime are
        // the 14th and 15th fields of the line, in clock ticks.
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        let ticks = try #require(Int(fields[11])) + (try #require(Int(fields[12])))
        return .milliseconds(ticks * 1000 / sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The end of the log, for failure messages.
    func tail() -> String {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }
}
