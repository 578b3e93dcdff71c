import DeltaSync
import Glibc
import Testing

@testable import Controller

/// Every test runs real backends (`/bin/sh`, `sleep`, `python3 -m http.server`) on free loopback ports and waits
/// by polling with deadlines, never by sleeping a fixed time.
@Suite struct BackendSupervisorTests {
    private static let httpServer = #"exec python3 -m http.server "$PORT" --bind 127.0.0.1"#

    // MARK: Starting and readiness

    @Test func startsBecomesReadyAndPassesPortAndEnvironment() async throws {
        let fixture = try BackendFixture()
        var configuration = fixture.configuration(#"echo "$PORT $BACKEND_TEST_MARKER" > env.txt; "# + Self.httpServer)
        configuration.environment["BACKEND_TEST_MARKER"] = "inherited"
        try await withSupervisor(configuration) { supervisor in
            try await supervisor.start()
            #expect(await supervisor.waitUntilReady(timeout: .seconds(60)))

            let snapshot = await supervisor.snapshot()
            #expect(snapshot.state == .running)
            let pid = try #require(snapshot.pid)
            #expect(getpgid(pid) == pid, "the backend leads its own process group")
            #expect(snapshot.uptime != nil)
            #expect((snapshot.startedAtUnixTime ?? 0) > 1_600_000_000)
            #expect(snapshot.restartCount == 0)
            #expect(snapshot.backendPort == fixture.port)
            #expect(fixture.contents(of: "env.txt") == "\(fixture.port) inherited\n")

            await supervisor.stop()
            let stopped = await supervisor.snapshot()
            #expect(stopped.state == .stopped)
            #expect(stopped.pid == nil)
            #expect(stopped.lastExitStatus != nil)
            #expect(await eventually { processGroupIsGone(pid) })
        }
    }

    @Test func waitUntilReadyAnswersAtOnceWhenNoBackendIsWanted() async throws {
        let fixture = try BackendFixture()
        let supervisor = BackendSupervisor(configuration: fixture.configuration(Self.httpServer))
        let clock = ContinuousClock()
        let began = clock.now
        // Answered at once, not at the timeout: the bound leaves room for a loaded machine.
        #expect(await supervisor.waitUntilReady(timeout: .seconds(60)) == false)
        #expect(began.duration(to: clock.now) < .seconds(10))
        #expect(await supervisor.signal(SIGHUP) == false)
        await supervisor.stop()
        #expect(await supervisor.snapshot().state == .stopped)
    }

    // MARK: Output

    @Test func outputPassesThroughLineByLineAndTheTailKeepsTheLastLines() async throws {
        let fixture = try BackendFixture()
        var configuration = fixture.configuration(
            #"for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "line $i"; done; echo "warning" >&2; printf 'unterminated'"#)
        configuration.outputLineLimit = 5
        try await withSupervisor(configuration) { supervisor in
            try await supervisor.start()
            #expect(
                await eventually {
                    await supervisor.snapshot().state == .exited(.exited(code: 0))
                        && supervisor.recentOutput().contains("unterminated")
                })

            // Both streams go to one log file, so its order is the order the tail saw.
            let passedThrough = fixture.loggedBackendLines()
            let expected = (1...12).map { "line \($0)" } + ["warning", "unterminated"]
            #expect(passedThrough.count == expected.count)
            #expect(Set(passedThrough) == Set(expected))
            #expect(passedThrough.filter { $0.hasPrefix("line") } == expected.prefix(12).map { $0 })
            #expect(supervisor.recentOutput() == Array(passedThrough.suffix(5)))
            #expect(fixture.loggedLines().contains { $0.hasPrefix("cf-fastpush-controller: started the backend") })
        }
    }

    @Test func lineSplitterCutsOverlongLinesAndKeepsPartialOnes() {
        var splitter = LineSplitter(maximumLineLength: 4)
        var lines: [String] = []
        let emit = { (line: ArraySlice<UInt8>) in lines.append(String(decoding: line, as: UTF8.self)) }
        Array("ab\ncdefgh".utf8).withUnsafeBytes { splitter.feed($0, emit: emit) }
        Array("ij\n\nk".utf8).withUnsafeBytes { splitter.feed($0, emit: emit) }
        splitter.finish(emit: emit)
        #expect(lines == ["ab", "cdef", "ghij", "", "k"])

        let tail = OutputTail(capacity: 3)
        (1...7).forEach { tail.append("\($0)") }
        #expect(tail.lines() == ["5", "6", "7"])
    }

    // MARK: Stopping and restarting

    @Test func restartKillsTheOldGroupIncludingGrandchildren() async throws {
        let fixture = try BackendFixture()
        try await withSupervisor(fixture.configuration("sleep 1000 & " + Self.httpServer)) { supervisor in
            try await supervisor.start()
            #expect(await supervisor.waitUntilReady(timeout: .seconds(60)))
            let first = try #require(await supervisor.snapshot().pid)
            #expect(await eventually { liveMembers(ofProcessGroup: first).count == 2 }, "python and its sleep")

            let report = try await supervisor.restart()
            #expect(report.readiness == .ready)
            #expect(report.elapsed > .zero)
            let second = try #require(report.pid)
            #expect(second != first)
            let snapshot = await supervisor.snapshot()
            #expect(snapshot.state == .running)
            #expect(snapshot.pid == second)
            #expect(snapshot.restartCount == 1)
            #expect(await eventually { liveMembers(ofProcessGroup: first).isEmpty })
            #expect(await eventually { processGroupIsGone(first) })

            await supervisor.stop()
            #expect(await eventually { liveMembers(ofProcessGroup: second).isEmpty })
            #expect(await eventually { processGroupIsGone(second) })
        }
    }

    @Test func requestsArrivingDuringARestartWaitForTheNewBackend() async throws {
        let fixture = try BackendFixture()
        // The second run holds back its server until the test creates `gate`.
        let command =
            #"n=$(cat runs 2>/dev/null || echo 0); n=$((n + 1)); echo $n > runs; "#
            + #"if [ $n -ge 2 ]; then while [ ! -e gate ]; do sleep 0.02; done; fi; "# + Self.httpServer
        // The restart's own wait for readiness runs while the test holds the gate shut: on a loaded machine that
        // took more than the fixture's 10 s once.
        var configuration = fixture.configuration(command)
        configuration.readinessTimeout = .seconds(60)
        try await withSupervisor(configuration) { supervisor in
            try await supervisor.start()
            #expect(await supervisor.waitUntilReady(timeout: .seconds(60)))

            let restart = Task { try await supervisor.restart() }
            #expect(await eventually { fixture.contents(of: "runs") == "2\n" })
            #expect(await supervisor.snapshot().state == .starting)
            #expect(await supervisor.waitUntilReady(timeout: .milliseconds(100)) == false, "a short wait times out")

            let request = Task { await supervisor.waitUntilReady(timeout: .seconds(60)) }
            fixture.create("gate")
            #expect(await request.value)
            let report = try await restart.value
            #expect(report.readiness == .ready)
            #expect(await supervisor.snapshot().state == .running)
        }
    }

    @Test func aBackendThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let fixture = try BackendFixture()
        var configuration = fixture.configuration("trap '' TERM; echo armed > armed.txt; exec sleep 1000")
        configuration.gracePeriod = .milliseconds(500)
        try await withSupervisor(configuration) { supervisor in
            try await supervisor.start()
            #expect(await eventually { fixture.contents(of: "armed.txt") == "armed\n" })
            let pid = try #require(await supervisor.snapshot().pid)

            let clock = ContinuousClock()
            let began = clock.now
            await supervisor.stop()
            let elapsed = began.duration(to: clock.now)
            #expect(elapsed >= .milliseconds(450))
            // Killed once the grace period is over, not left to its `sleep 1000`; seconds on a loaded machine.
            #expect(elapsed < .seconds(30))
            let snapshot = await supervisor.snapshot()
            #expect(snapshot.state == .stopped)
            #expect(snapshot.lastExitStatus == .signaled(signal: SIGKILL, coreDumped: false))
            #expect(await eventually { processGroupIsGone(pid) })
        }
    }

    @Test func groupMembersThatIgnoreSIGTERMDieWithTheirLeader() async throws {
        let fixture = try BackendFixture()
        var configuration = fixture.configuration(
            "(trap '' TERM; echo armed > armed.txt; exec sleep 1000) & exec sleep 1000")
        configuration.gracePeriod = .seconds(10)
        try await withSupervisor(configuration) { supervisor in
            try await supervisor.start()
            #expect(await eventually { fixture.contents(of: "armed.txt") == "armed\n" })
            let pid = try #require(await supervisor.snapshot().pid)

            let clock = ContinuousClock()
            let began = clock.now
            await supervisor.stop()
            #expect(began.duration(to: clock.now) < .seconds(5), "the leader ended on SIGTERM; no grace wait")
            #expect(await supervisor.snapshot().lastExitStatus == .signaled(signal: SIGTERM, coreDumped: false))
            #expect(await eventually { liveMembers(ofProcessGroup: pid).isEmpty })
            #expect(await eventually { processGroupIsGone(pid) })
        }
    }

    // MARK: Crashes

    @Test func aCrashIsNoticedAtOnceWithItsExitCode() async throws {
        let fixture = try BackendFixture()
        let fifo = fixture.path("go")
        #expect(mkfifo(fifo, 0o600) == 0)
        try await withSupervisor(fixture.configuration("read line < go; exit 3")) { supervisor in
            try await supervisor.start()
            #expect(await supervisor.snapshot().state == .starting)

            // Opening a FIFO without blocking fails until the backend has opened it for reading.
            var writer: Int32 = -1
            #expect(
                await eventually {
                    writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                    return writer >= 0
                })
            let clock = ContinuousClock()
            _ = write(writer, "go\n", 3)
            close(writer)
            let released = clock.now
            #expect(await eventually { await supervisor.snapshot().state == .crashed(.exited(code: 3)) })
            // The exit is reaped as it happens, not found by a periodic look; seconds on a loaded machine at most.
            #expect(released.duration(to: clock.now) < .seconds(5))

            let snapshot = await supervisor.snapshot()
            #expect(snapshot.pid == nil)
            #expect(snapshot.lastExitStatus == .exited(code: 3))
            #expect(snapshot.lastFailure?.contains("crashed with exit code 3") == true)
            let began = clock.now
            #expect(await supervisor.waitUntilReady(timeout: .seconds(60)) == false)
            #expect(began.duration(to: clock.now) < .seconds(10), "no restart is coming, so no wait")
        }
    }

    @Test func aCrashBySignalReportsTheSignal() async throws {
        let fixture = try BackendFixture()
        try await withSupervisor(fixture.configuration("exec sleep 1000")) { supervisor in
            try await supervisor.start()
            let pid = try #require(await supervisor.snapshot().pid)
            kill(pid, SIGKILL)
            #expect(
                await eventually {
                    await supervisor.snapshot().state == .crashed(.signaled(signal: SIGKILL, coreDumped: false))
                })
            #expect(await supervisor.snapshot().lastFailure?.contains("SIGKILL") == true)
        }
    }

    @Test func restartOnCrashBringsTheBackendBack() async throws {
        let fixture = try BackendFixture()
        var configuration = fixture.configuration(
            #"n=$(cat runs 2>/dev/null || echo 0); n=$((n + 1)); echo $n > runs; [ $n -ge 3 ] || exit 3; "#
                + Self.httpServer)
        configuration.restartPolicy = .init(
            restartsOnCrash: true, initialDelay: .milliseconds(100), maximumDelay: .milliseconds(400))
        try await withSupervisor(configuration) { supervisor in
            try await supervisor.start()
            #expect(await supervisor.waitUntilReady(timeout: .seconds(60)), "waits through the restarts")
            let snapshot = await supervisor.snapshot()
            #expect(snapshot.state == .running)
            #expect(snapshot.restartCount == 2)
            #expect(snapshot.lastExitStatus == .exited(code: 3))
            #expect(snapshot.lastFailure == nil, "cleared once a backend is ready")
            #expect(fixture.contents(of: "runs") == "3\n")
        }
    }

    @Test func restartBackoffDoublesUpToTheMaximum() {
        let policy = BackendSupervisor.RestartPolicy(restartsOnCrash: true)
        let delays = (1...8).map { policy.delay(afterConsecutiveCrashes: $0) }
        #expect(delays == [1, 2, 4, 8, 16, 30, 30, 30].map { Duration.seconds($0) })
        #expect(policy.resetAfterUptime == .seconds(60))
        #expect(BackendSupervisor.RestartPolicy().restartsOnCrash == false)
    }

    @Test func exitStatusesDecodeFromWaitStatuses() {
        #expect(ExitStatus(waitStatus: 3 << 8) == .exited(code: 3))
        #expect(ExitStatus(waitStatus: 0) == .exited(code: 0))
        #expect(ExitStatus(waitStatus: SIGKILL) == .signaled(signal: SIGKILL, coreDumped: false))
        #expect(ExitStatus(waitStatus: SIGSEGV | 0x80) == .signaled(signal: SIGSEGV, coreDumped: true))
        #expect(ExitStatus.signaled(signal: SIGTERM).description == "signal 15 (SIGTERM)")
    }

    // MARK: Signals

    @Test func signalReachesTheBackendWithoutRestartingIt() async throws {
        let fixture = try BackendFixture()
        let command =
            #"trap 'echo hup >> hups.txt' HUP; echo armed > armed.txt; while :; do sleep 1000 & wait $!; done"#
        try await withSupervisor(fixture.configuration(command)) { supervisor in
            try await supervisor.start()
            #expect(await eventually { fixture.contents(of: "armed.txt") == "armed\n" })
            let pid = try #require(await supervisor.snapshot().pid)

            #expect(await supervisor.signal(SIGHUP))
            #expect(await eventually { fixture.contents(of: "hups.txt") == "hup\n" })
            let snapshot = await supervisor.snapshot()
            #expect(snapshot.pid == pid)
            #expect(snapshot.state == .starting, "still the same run; it never listens on its port")
        }
    }

    // MARK: Failures

    @Test func aMissingCommandFailsClearlyAndQuickly() async throws {
        let fixture = try BackendFixture()
        try await withSupervisor(fixture.configuration("definitely-not-a-fastpush-command --serve")) { supervisor in
            try await supervisor.start()
            let clock = ContinuousClock()
            let began = clock.now
            #expect(await supervisor.waitUntilReady(timeout: .seconds(60)) == false)
            #expect(began.duration(to: clock.now) < .seconds(30), "answered by the crash, not the timeout")

            let snapshot = await supervisor.snapshot()
            #expect(snapshot.state == .crashed(.exited(code: 127)))
            #expect(snapshot.lastFailure?.contains("the shell could not find the command") == true)
            #expect(await eventually { supervisor.recentOutput().contains { $0.contains("not found") } })
        }
    }

    @Test func aMissingWorkingDirectoryIsAnErrorThatNamesIt() async throws {
        let fixture = try BackendFixture()
        var configuration = fixture.configuration(Self.httpServer)
        configuration.workingDirectory = fixture.path("missing")
        let supervisor = BackendSupervisor(configuration: configuration)
        do throws(BackendError) {
            try await supervisor.start()
            Issue.record("start() should fail")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(fixture.path("missing")))
            #expect(error.message.contains("working directory"))
            #expect(error.errno == ENOENT)
        }
        let snapshot = await supervisor.snapshot()
        #expect(snapshot.state == .stopped)
        #expect(snapshot.lastFailure?.contains("working directory") == true)
        #expect(await supervisor.waitUntilReady(timeout: .seconds(5)) == false)
        await #expect(throws: BackendError.self) { try await supervisor.restart() }
    }
}

// MARK: - Helpers

/// Runs `body` with a supervisor and stops it afterwards, also when `body` fails, so no test leaves a backend.
private func withSupervisor(
    _ configuration: BackendSupervisor.Configuration, _ body: (BackendSupervisor) async throws -> Void
) async throws {
    let supervisor = BackendSupervisor(configuration: configuration)
    do {
        try await body(supervisor)
    } catch {
        await supervisor.stop()
        throw error
    }
    await supervisor.stop()
}

/// Polls `condition` every 20 ms until it holds or `limit` passes.
private func eventually(within limit: Duration = .seconds(30), _ condition: () async -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while true {
        if await condition() { return true }
        if clock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
}

/// True once no process, not even a zombie, is left in the group.
private func processGroupIsGone(_ pgid: pid_t) -> Bool {
    kill(-pgid, 0) != 0 && errno == ESRCH
}

/// The processes in a group that have not ended: zombies waiting for their parent to reap them are left out.
private func liveMembers(ofProcessGroup pgid: pid_t) -> [pid_t] {
    guard let directory = opendir("/proc") else { return [] }
    defer { closedir(directory) }
    var members: [pid_t] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let pid = pid_t(name), let stat = readFile("/proc/\(name)/stat") else { continue }
        // "pid (command) state ppid pgrp ...": the command may contain spaces and parentheses.
        guard let commandEnd = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: commandEnd)...].split(separator: " ")
        if fields.count > 2, fields[0] != "Z", pid_t(fields[2]) == pgid { members.append(pid) }
    }
    return members
}

/// The whole of a file, read to its end: also for /proc files, whose size says 0.
private func readFile(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        bytes += chunk[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A scratch directory for one test's backend, a free loopback port, and a log file that receives the backend's
/// stdout and stderr (both, so their relative order is kept) and the supervisor's messages.
private final class BackendFixture {
    let directory: String
    let port: UInt16
    let logDescriptor: Int32

    init() throws {
        directory = try FileTree.makeTemporaryDirectory(prefix: "fastpush-backend")
        port = try freeLoopbackPort()
        logDescriptor = open(directory + "/output.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard logDescriptor >= 0 else { throw FixtureError("cannot create the output log") }
    }

    deinit {
        close(logDescriptor)
        try? FileTree.removeRecursively(directory)
    }

    func configuration(_ command: String) -> BackendSupervisor.Configuration {
        BackendSupervisor.Configuration(
            command: command, workingDirectory: directory, backendPort: port, gracePeriod: .seconds(5),
            readinessTimeout: .seconds(60),
            passThrough: OutputPassThrough(standardOutput: logDescriptor, standardError: logDescriptor))
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func contents(of name: String) -> String? { readFile(path(name)) }

    func create(_ name: String) {
        close(open(path(name), O_WRONLY | O_CREAT | O_CLOEXEC, 0o600))
    }

    func loggedLines() -> [String] {
        (contents(of: "output.log") ?? "").split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .map(String.init)
    }

    /// The log without the supervisor's own messages.
    func loggedBackendLines() -> [String] {
        loggedLines().filter { !$0.hasPrefix("cf-fastpush-controller: ") }
    }
}

private struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
