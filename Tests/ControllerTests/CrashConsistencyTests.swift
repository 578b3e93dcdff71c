import AsyncHTTPClient
import Foundation
import Glibc
import Testing

@testable import Controller
@testable import DeltaSync

/// The real `cf-fastpush-controller` binary SIGKILLed at random moments while it applies pushes that change many
/// files, then started again on the same directory (its start-up rolls back an interrupted commit).
///
/// After every kill the app must be entirely the old version or entirely the new one: no torn file, no half
/// batch, no staging or temporary file left behind; and the restarted controller must run its backend again.
@Suite(.serialized) struct CrashConsistencyTests {
    /// Kills: each is one push, one SIGKILL at a random moment and one restart.
    static let trials = 100

    /// An app's state as the test compares it: every entry's content (nil for a directory) and permission bits.
    struct Version: Equatable {
        struct Entry: Equatable {
            var content: [UInt8]?
            var mode: UInt32
        }

        var entries: [String: Entry]

        /// The version a push starts from: 40 data files, a directory the push deletes with its files, a script
        /// that is not executable yet.
        static let old = Version(entries: common.merging(
            dataFiles(edited: false)
                .merging(["gone": Entry(content: nil, mode: 0o755)]) { $1 }
                .merging((0..<5).map { ("gone/g\($0).txt", file("to be deleted \($0)\n")) }) { $1 }
        ) { $1 })

        /// The version the push brings: every data file edited, a new directory with new files, the script
        /// executable, the deleted directory gone.
        static let new = Version(entries: common.merging(
            dataFiles(edited: true)
                .merging(["extra": Entry(content: nil, mode: 0o755)]) { $1 }
                .merging((0..<5).map { ("extra/n\($0).txt", file("created by the push \($0)\n")) }) { $1 }
                .merging(["run.sh": file("echo run\n", mode: 0o755)]) { $1 }
        ) { $1 })

        /// In both versions: the rules (no restarts, so a push is only its apply), a README, the script.
        static let common: [String: Entry] = [
            ".fastpush.yml": file("restart_rules:\n  - paths: \"*\"\n    action: none\n"),
            "README.md": file("# the app\n"), "run.sh": file("echo run\n"), "data": Entry(content: nil, mode: 0o755),
        ]

        static func file(_ text: String, mode: UInt32 = 0o644) -> Entry { Entry(content: Array(text.utf8), mode: mode) }

        static func dataFiles(edited: Bool) -> [String: Entry] {
            var files: [String: Entry] = [:]
            for number in 0..<40 {
                var lines = (0..<30).map { "file \(number) line \($0): the quick brown fox jumps over the lazy dog\n" }
                if edited {
                    lines[number % 30] = "file \(number): this line was edited by the push\n"
                    lines.append("file \(number): and this one added\n")
                }
                files["data/f\(number).txt"] = file(lines.joined())
            }
            return files
        }

        func write(to root: String) throws {
            for (path, entry) in entries.sorted(by: { $0.key < $1.key }) {
                if let content = entry.content {
                    try FileTree.write(content, to: root + "/" + path, mode: entry.mode)
                } else {
                    try FileTree.makeDirectories(root + "/" + path, mode: entry.mode)
                }
            }
        }

        /// Everything under `root`, staging directories and temporary files included.
        init(reading root: String) throws {
            entries = [:]
            for path in try FileManager.default.subpathsOfDirectory(atPath: root) {
                let status = try SystemCall.lstat(root + "/" + path)
                let mode = UInt32(status.st_mode & 0o7777)
                entries[path] =
                    status.st_mode & S_IFMT == S_IFDIR
                    ? Entry(content: nil, mode: mode) : Entry(content: try FileTree.read(root + "/" + path), mode: mode)
            }
        }

        init(entries: [String: Entry]) { self.entries = entries }

        /// What is neither old nor new: torn files, leftovers, half-applied changes.
        func problems() -> [String] {
            let paths = Set(entries.keys).union(Version.old.entries.keys).union(Version.new.entries.keys)
            var problems: [String] = []
            for path in paths.sorted() {
                let actual = entries[path]
                let old = Version.old.entries[path]
                let new = Version.new.entries[path]
                if actual != old && actual != new {
                    problems.append("\(path) is neither old nor new (\(actual.map { "\($0.content?.count ?? -1) bytes, mode \(String($0.mode, radix: 8))" } ?? "absent"))")
                }
            }
            let oldPaths = paths.filter { entries[$0] != Version.old.entries[$0] }
            let newPaths = paths.filter { entries[$0] != Version.new.entries[$0] }
            if problems.isEmpty {
                problems.append("a half-applied batch: \(oldPaths.count) entries differ from the old version (\(oldPaths.sorted().prefix(3))), \(newPaths.count) from the new (\(newPaths.sorted().prefix(3)))")
            }
            return problems
        }
    }

    /// The bundle that brings a tree like `from` to the tree `to`, planned as a client plans it.
    static func bundle(from: String, to: String) throws -> [UInt8] {
        try ClientPlan.bundle(from: ClientPlan.manifest(of: from), app: from, to: to)
    }

    /// Sends a push on a raw connection: everything but the last byte first, so the moment the last byte leaves
    /// is the moment the controller can start applying. Then either SIGKILLs the controller `killAfter` later,
    /// or waits for the answer and returns its status line and how long it took.
    static func push(
        _ bundle: [UInt8], to controller: ControllerProcess, killAfter: Duration?
    ) async throws -> (statusLine: String, took: Duration)? {
        let head =
            "POST /_fastpush/v2/push HTTP/1.1\r\nHost: app.example\r\nx-auth-token: \(controller.token)\r\n"
            + "Content-Length: \(bundle.count)\r\nConnection: close\r\n\r\n"
        return try await RawConnection.with(port: controller.port) { connection in
            try await connection.write(Array(head.utf8) + bundle.dropLast())
            try await Task.sleep(for: .milliseconds(2))
            try await connection.write([bundle[bundle.count - 1]])
            let sent = ContinuousClock.now
            if let killAfter {
                try await Task.sleep(until: sent + killAfter, clock: .continuous)
                await controller.kill()
                return nil
            }
            let answer = try await connection.readHead()
            return (answer.components(separatedBy: "\r\n")[0], ContinuousClock.now - sent)
        }
    }

    @Test func pushesSurviveSIGKILLAtAnyMomentAllOrNothing() async throws {
        let base = try FileTree.makeTemporaryDirectory(prefix: "fastpush-crash")
        let client = HTTPClient.shared
        var controller: ControllerProcess?
        var backend: Int32 = 0
        defer {
            // Only SIGKILLs here (a defer cannot wait): the controller, then its backend's process group.
            if let controller { kill(controller.pid, SIGKILL) }
            if backend > 0 { kill(-backend, SIGKILL) }
            try? FileTree.removeRecursively(base)
        }
        let app = base + "/app"
        let oldTree = base + "/old"
        let newTree = base + "/new"
        for directory in [app, oldTree, newTree] { try FileTree.makeDirectories(directory) }
        try Version.old.write(to: app)
        try Version.old.write(to: oldTree)
        try Version.new.write(to: newTree)
        let forward = try Self.bundle(from: oldTree, to: newTree)
        let backward = try Self.bundle(from: newTree, to: oldTree)
        try SmallestApp.write(to: base + "/backend.py")
        let token = "crash-token-\(UInt32.random(in: 0...UInt32.max))"
        func start() async throws -> ControllerProcess {
            let started = try ControllerProcess(
                app: app, backendCommand: "exec python3 '\(base)/backend.py'", token: token, log: base + "/controller.log")
            controller = started
            backend = try await started.waitUntilBackendRuns(client: client)
            return started
        }

        // Two pushes that finish: they work, and say how long a push takes, which bounds the moments to kill at.
        var current = try await start()
        var window = Duration.zero
        for (bundle, version) in [(forward, Version.new), (backward, Version.old)] {
            let answer = try #require(try await Self.push(bundle, to: current, killAfter: nil))
            #expect(answer.statusLine.hasPrefix("HTTP/1.1 200"), "\(answer.statusLine); log: \(current.tail())")
            #expect(try Version(reading: app) == version)
            window = max(window, answer.took)
        }
        // Kill moments spread over the whole push and a little after it.
        let limit = Int64((window * 1.3) / .microseconds(1))

        var outcomes = (old: 0, new: 0)
        var isNew = false
        // The latest kill that left the old version and the earliest that left the new one: the commit lies
        // between them. Every other kill aims there, where a crash is hardest to survive.
        var latestOld: Int64 = 0
        var earliestNew = limit
        for trial in 0..<Self.trials {
            let aimed = trial % 2 == 1 && latestOld < earliestNew
            let microseconds =
                aimed ? Int64.random(in: latestOld * 9 / 10...min(limit, earliestNew * 11 / 10)) : Int64.random(in: 0...limit)
            let moment = Duration.microseconds(microseconds)
            _ = try await Self.push(isNew ? backward : forward, to: current, killAfter: moment)
            // The killed controller's backend lives on in its own process group, as it would in a container
            // whose start command crashed; the test removes it so the next one starts cleanly.
            kill(-backend, SIGKILL)
            let killedBackend = backend
            current = try await start()
            #expect(backend != killedBackend, "trial \(trial): the restarted controller runs a new backend")
            let actual = try Version(reading: app)
            if actual == Version.new {
                outcomes.new += 1
                isNew = true
                earliestNew = min(earliestNew, microseconds)
            } else if actual == Version.old {
                outcomes.old += 1
                isNew = false
                latestOld = max(latestOld, microseconds)
            } else {
                Issue.record("trial \(trial), killed \(moment) after the push: \(actual.problems().joined(separator: "; "))")
                return
            }
        }
        let log = (try? String(contentsOfFile: base + "/controller.log", encoding: .utf8)) ?? ""
        let rolledBack = log.components(separatedBy: "interrupted by a crash").count - 1
        print(
            "crash consistency: \(Self.trials) SIGKILLs within \(window * 1.3) of a push's last byte: \(outcomes.old) left the old version, \(outcomes.new) the new, \(rolledBack) interrupted commits rolled back at start-up"
        )
        // Kills spread over the push land both before and after it takes effect; if they did not, the trials
        // tested nothing.
        #expect(outcomes.old > 0 && outcomes.new > 0, "old \(outcomes.old), new \(outcomes.new)")
        // And the last restarted controller takes pushes again.
        let last = try #require(try await Self.push(isNew ? backward : forward, to: current, killAfter: nil))
        #expect(last.statusLine.hasPrefix("HTTP/1.1 200"), "\(last.statusLine)")
        #expect(try Version(reading: app) == (isNew ? Version.old : Version.new))
        await current.terminate()
        controller = nil
    }
}
