import Glibc
import Synchronization

/// Runs the app the controller fronts (the "backend"), restarts it after code pushes, and tells the HTTP layer
/// whether requests can be proxied to it.
///
/// The backend is `/bin/sh -c COMMAND` in its own process group, with the controller's environment plus
/// `PORT`. Its output is copied line by line to the controller's stdout and stderr and the last lines are kept
/// for clients (``recentOutput()``). Stopping follows a teardown sequence: SIGTERM to the whole group, up to
/// ``Configuration/gracePeriod`` for the leader to end, then SIGKILL to the group. When the leader ends, the
/// rest of its group is killed at once (see ``ChildProcess``), so no grandchild outlives a stop or a crash.
///
/// The backend is ready when `127.0.0.1:PORT` accepts a TCP connection; the supervisor checks every 50 ms
/// after each start and moves the state from ``BackendState/starting`` to ``BackendState/running``. Requests
/// that arrive during a restart call ``waitUntilReady(timeout:)`` instead of failing.
///
/// A crash is seen the moment it happens (a thread sits in `waitid` for the leader). With
/// ``RestartPolicy/restartsOnCrash`` the backend is started again after an exponential backoff.
///
/// Starting, stopping and restarting are serialized: each runs to completion in order of the calls, and none
/// is cut short when the calling task is cancelled, so a half-finished teardown never leaves a group behind.
/// The owner must call ``stop()`` before the controller exits: the backend is in its own process group and
/// does not receive the signals sent to the controller's.
actor BackendSupervisor {
    let configuration: Configuration
    private let tail: OutputTail

    private var state: BackendState = .stopped {
        didSet { running.store(state == .running, ordering: .relaxed) }
    }
    /// The state is ``BackendState/running``, readable without waiting for the actor: the proxy asks it for
    /// every request.
    private let running = Atomic(false)
    private var current: RunningBackend?
    private var launchCount = 0
    private var lastExitStatus: ExitStatus?
    private var lastFailure: String?
    /// Whether the owner wants a backend: set by start and restart, cleared by stop and by an ending that is
    /// not followed by a restart. Waiters keep waiting while it is set.
    private var wantsRunning = false
    private var consecutiveCrashes = 0
    private var pendingCrashRestart: Task<Void, Never>?
    /// The last lifecycle operation; the next one waits for it.
    private var lifecycleTail: Task<Void, Never>?
    private var readinessWaiters: [Int: ReadinessWaiter] = [:]
    private var nextWaiterID = 0

    private struct RunningBackend {
        let process: ChildProcess
        let generation: Int
        let startedAt: ContinuousClock.Instant
        let startedAtUnixTime: Double
        var readinessProbe: Task<Void, Never>?
    }

    private struct ReadinessWaiter {
        let continuation: CheckedContinuation<BackendReadiness, Never>
        let waitsThroughCrashRestarts: Bool
    }

    init(configuration: Configuration) {
        self.configuration = configuration
        tail = OutputTail(capacity: configuration.outputLineLimit)
    }

    // MARK: Lifecycle

    /// Starts the backend unless one is already running; returns once it is spawned, not when it is ready.
    func start() async throws(BackendError) {
        wantsRunning = true
        consecutiveCrashes = 0
        cancelPendingCrashRestart()
        try await serialized { supervisor in
            Result { () throws(BackendError) in
                if supervisor.current == nil { try supervisor.launch() }
            }
        }.get()
    }

    /// Stops the backend: SIGTERM to its group, up to the grace period, then SIGKILL to the group. Returns once
    /// the backend has ended; afterwards the state is ``BackendState/stopped``.
    func stop() async {
        wantsRunning = false
        cancelPendingCrashRestart()
        await serialized { supervisor in await supervisor.stopCurrent() }
    }

    /// Stops the backend (if one runs), starts a new one and waits until it is ready, ends, or the readiness
    /// timeout passes. Throws only when the new backend cannot be spawned.
    func restart() async throws(BackendError) -> RestartReport {
        let clock = ContinuousClock()
        let began = clock.now
        wantsRunning = true
        consecutiveCrashes = 0
        cancelPendingCrashRestart()
        try await serialized { supervisor in
            await supervisor.stopCurrent()
            return Result { () throws(BackendError) in try supervisor.launch() }
        }.get()
        let pid = current?.process.pid
        let readiness = await readiness(within: configuration.readinessTimeout, waitingThroughCrashRestarts: false)
        return RestartReport(readiness: readiness, elapsed: began.duration(to: clock.now), pid: pid)
    }

    /// Sends `signal` to the backend's whole process group (SIGHUP to make it reload, for example).
    /// Returns false when no backend is running.
    @discardableResult
    func signal(_ signal: Int32) -> Bool {
        current?.process.signalGroup(signal) ?? false
    }

    // MARK: Readiness

    /// Waits until the backend's port accepts connections. Returns true at once when it already does, false at
    /// once when no backend is wanted, and otherwise waits (also through a pending restart after a crash) for at
    /// most `timeout`.
    func waitUntilReady(timeout: Duration) async -> Bool {
        await readiness(within: timeout) == .ready
    }

    /// Waits like ``waitUntilReady(timeout:)`` and says how the wait ended.
    func readiness(within timeout: Duration) async -> BackendReadiness {
        await readiness(within: timeout, waitingThroughCrashRestarts: true)
    }

    /// True while the backend is running and accepts connections; false from the moment a stop or restart
    /// begins, so that no new request is sent to a backend that is going away.
    nonisolated var acceptsRequests: Bool { running.load(ordering: .relaxed) }

    private func readiness(within timeout: Duration, waitingThroughCrashRestarts: Bool) async -> BackendReadiness {
        if let verdict = readinessVerdict(waitingThroughCrashRestarts: waitingThroughCrashRestarts) {
            return verdict
        }
        let id = nextWaiterID
        nextWaiterID += 1
        // The timer resolves the waiter when it wakes, early or not: cancelling it is how a cancelled caller
        // stops waiting, and after a normal answer it finds nothing left to resolve.
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.resolveWaiter(id, with: .timedOut)
        }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                readinessWaiters[id] = ReadinessWaiter(
                    continuation: continuation, waitsThroughCrashRestarts: waitingThroughCrashRestarts)
            }
        } onCancel: {
            timer.cancel()
        }
        timer.cancel()
        return outcome
    }

    /// The answer for someone waiting for readiness now, or `nil` when the answer is still to come.
    private func readinessVerdict(waitingThroughCrashRestarts: Bool) -> BackendReadiness? {
        switch state {
        case .running:
            return .ready
        case .starting, .stopping, .stopped:
            return wantsRunning ? nil : .stopped
        case .crashed(let status), .exited(let status):
            let restartComing = wantsRunning && pendingCrashRestart != nil
            return waitingThroughCrashRestarts && restartComing ? nil : .exited(status)
        }
    }

    private func resolveWaiter(_ id: Int, with outcome: BackendReadiness) {
        readinessWaiters.removeValue(forKey: id)?.continuation.resume(returning: outcome)
    }

    /// Answers every waiter whose answer the last state change settled.
    private func resolveReadinessWaiters() {
        for (id, waiter) in readinessWaiters {
            guard let verdict = readinessVerdict(waitingThroughCrashRestarts: waiter.waitsThroughCrashRestarts)
            else { continue }
            readinessWaiters[id] = nil
            waiter.continuation.resume(returning: verdict)
        }
    }

    /// Checks the port every 50 ms until it accepts a connection or this backend ends. After the readiness
    /// timeout it says so once and keeps checking every second, so a slow backend still becomes running.
    private func probeReadiness(generation: Int) async {
        var probe = PortProbe(port: configuration.backendPort)
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.readinessTimeout
        var reportedSlowStart = false
        while !Task.isCancelled, current?.generation == generation {
            if probe.accepts() {
                backendBecameReady(generation: generation)
                return
            }
            if !reportedSlowStart && clock.now >= deadline {
                reportedSlowStart = true
                log(
                    "the backend does not accept connections on 127.0.0.1:\(configuration.backendPort) after "
                        + "\(configuration.readinessTimeout); check that it listens on $PORT. Still waiting.")
            }
            try? await Task.sleep(for: reportedSlowStart ? .seconds(1) : .milliseconds(50))
        }
    }

    private func backendBecameReady(generation: Int) {
        guard let running = current, running.generation == generation, state == .starting else { return }
        state = .running
        lastFailure = nil
        let startup = running.startedAt.duration(to: .now)
        log(
            "the backend (pid \(running.process.pid)) accepts connections on port \(configuration.backendPort) "
                + "after \(startup.forPeople)")
        resolveReadinessWaiters()
    }

    // MARK: Status

    /// The last lines the backend wrote to stdout and stderr, oldest first, across restarts.
    nonisolated func recentOutput() -> [String] {
        tail.lines()
    }

    func snapshot() -> BackendSnapshot {
        BackendSnapshot(
            state: state,
            pid: current?.process.pid,
            startedAtUnixTime: current?.startedAtUnixTime,
            uptime: current.map { $0.startedAt.duration(to: .now) },
            restartCount: max(0, launchCount - 1),
            lastExitStatus: lastExitStatus,
            lastFailure: lastFailure,
            backendPort: configuration.backendPort)
    }

    // MARK: Starting and ending

    /// Spawns a backend; the caller has made sure none is running.
    private func launch() throws(BackendError) {
        pendingCrashRestart = nil
        let process: ChildProcess
        do throws(BackendError) {
            try configuration.validate()
            process = try ChildProcess.spawn(
                command: configuration.command, workingDirectory: configuration.workingDirectory,
                environment: configuration.processEnvironment, passThrough: configuration.passThrough, tail: tail)
        } catch {
            state = .stopped
            wantsRunning = false
            lastFailure = error.message
            log(error.message)
            resolveReadinessWaiters()
            throw error
        }

        launchCount += 1
        let generation = launchCount
        current = RunningBackend(
            process: process, generation: generation, startedAt: .now, startedAtUnixTime: Self.unixTimeNow())
        state = .starting
        log("started the backend (pid \(process.pid)): /bin/sh -c \(configuration.command)")
        Task {
            guard let status = await process.waitForExitStatus() else { return }
            self.backendEnded(generation: generation, status: status)
        }
        current?.readinessProbe = Task { await self.probeReadiness(generation: generation) }
        resolveReadinessWaiters()
    }

    /// Records the end of a backend. An ending that ``stopCurrent()`` asked for is left for it to report;
    /// any other is a crash (or a clean exit) and may schedule a restart.
    private func backendEnded(generation: Int, status: ExitStatus) {
        guard let running = current, running.generation == generation else { return }
        running.readinessProbe?.cancel()
        current = nil
        lastExitStatus = status
        guard state != .stopping else { return }

        let uptime = running.startedAt.duration(to: .now)
        let becameReady = state == .running
        state = status.isSuccess ? .exited(status) : .crashed(status)
        var message =
            "the backend (pid \(running.process.pid)) \(status.isSuccess ? "exited" : "crashed") with \(status) "
            + (becameReady ? "after \(uptime)" : "before it accepted connections on port \(configuration.backendPort)")
        if let explanation = status.explanation { message += ": \(explanation)" }

        let policy = configuration.restartPolicy
        if !status.isSuccess && policy.restartsOnCrash && wantsRunning {
            if uptime >= policy.resetAfterUptime { consecutiveCrashes = 0 }
            consecutiveCrashes += 1
            let delay = policy.delay(afterConsecutiveCrashes: consecutiveCrashes)
            message += "; restarting in \(delay)"
            scheduleCrashRestart(after: delay)
        } else {
            wantsRunning = false
        }
        lastFailure = message
        log(message)
        resolveReadinessWaiters()
    }

    private func scheduleCrashRestart(after delay: Duration) {
        pendingCrashRestart = Task {
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            _ = await self.serialized { supervisor in
                Result { () throws(BackendError) in
                    // A stop or start since the crash has taken over.
                    guard supervisor.wantsRunning, supervisor.current == nil else { return }
                    try supervisor.launch()
                }
            }
        }
    }

    private func cancelPendingCrashRestart() {
        pendingCrashRestart?.cancel()
        pendingCrashRestart = nil
    }

    /// The teardown sequence: SIGTERM to the group, the grace period, SIGKILL to the group.
    private func stopCurrent() async {
        guard let running = current else {
            state = .stopped
            resolveReadinessWaiters()
            return
        }
        state = .stopping
        resolveReadinessWaiters()
        running.readinessProbe?.cancel()
        let process = running.process
        let clock = ContinuousClock()
        let began = clock.now

        process.signalGroup(SIGTERM)
        var status = await process.waitForExitStatus(timeout: configuration.gracePeriod)
        if status == nil {
            log(
                "the backend (pid \(process.pid)) did not exit within \(configuration.gracePeriod) of SIGTERM; "
                    + "sending SIGKILL to its process group")
            process.signalGroup(SIGKILL)
            // SIGKILL cannot be ignored; only a process stuck in the kernel (a hung disk) outlives this bound.
            status = await process.waitForExitStatus(timeout: .seconds(5))
        }
        if current?.generation == running.generation {
            current = nil
            if let status { lastExitStatus = status }
        }
        state = .stopped
        if let status {
            log("stopped the backend (pid \(process.pid)) in \(began.duration(to: clock.now).forPeople): \(status)")
        } else {
            let failure = "the backend (pid \(process.pid)) did not end even after SIGKILL; it is stuck in the kernel"
            lastFailure = failure
            log(failure)
        }
        resolveReadinessWaiters()
    }

    /// Runs lifecycle operations one at a time, in call order, each in its own task so that a cancelled caller
    /// cannot interrupt a teardown halfway.
    private func serialized<Value: Sendable>(
        _ operation: @escaping @Sendable (isolated BackendSupervisor) async -> Value
    ) async -> Value {
        let previous = lifecycleTail
        let task = Task {
            await previous?.value
            return await operation(self)
        }
        lifecycleTail = Task { _ = await task.value }
        return await task.value
    }

    // MARK: Helpers

    /// A line on the controller's stderr (or wherever the backend's stderr goes), never in the output tail:
    /// clients asking for the backend's output get the backend's output only.
    private func log(_ message: String) {
        OutputPassThrough.write(
            Array("cf-fastpush-controller: \(message)".utf8), to: configuration.passThrough.standardError)
    }

    private static func unixTimeNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
    }
}

// MARK: - Configuration

extension BackendSupervisor {
    /// What to run and how patiently to treat it.
    struct Configuration: Sendable {
        /// Run as `/bin/sh -c command`; prefix the server with `exec` so signals reach it directly.
        var command: String
        var workingDirectory: String
        /// Passed to the backend as `PORT`; readiness means `127.0.0.1:backendPort` accepts connections.
        var backendPort: UInt16
        /// The backend's environment; `PORT` is added (or replaced) when it starts.
        var environment: [String: String]
        /// How long the backend has after SIGTERM before its group gets SIGKILL.
        var gracePeriod: Duration
        /// How long ``BackendSupervisor/restart()`` waits for the new backend's port.
        var readinessTimeout: Duration
        var restartPolicy: RestartPolicy
        /// How many output lines ``BackendSupervisor/recentOutput()`` keeps.
        var outputLineLimit: Int
        var passThrough: OutputPassThrough

        init(
            command: String,
            workingDirectory: String,
            backendPort: UInt16,
            environment: [String: String] = Configuration.controllerEnvironment(),
            gracePeriod: Duration = .seconds(10),
            readinessTimeout: Duration = .seconds(60),
            restartPolicy: RestartPolicy = RestartPolicy(),
            outputLineLimit: Int = 200,
            passThrough: OutputPassThrough = .controllerStreams
        ) {
            self.command = command
            self.workingDirectory = workingDirectory
            self.backendPort = backendPort
            self.environment = environment
            self.gracePeriod = gracePeriod
            self.readinessTimeout = readinessTimeout
            self.restartPolicy = restartPolicy
            self.outputLineLimit = outputLineLimit
            self.passThrough = passThrough
        }

        /// What the backend runs with: ``environment`` and `PORT`. Restart rules' commands get the same, so an
        /// install or build step sees what the app sees.
        var processEnvironment: [String: String] {
            var variables = environment
            variables["PORT"] = String(backendPort)
            return variables
        }

        /// The controller's own environment, which the backend inherits.
        static func controllerEnvironment() -> [String: String] {
            var variables: [String: String] = [:]
            var cursor: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
            while let entry = cursor?.pointee {
                let text = String(cString: entry)
                if let separator = text.firstIndex(of: "=") {
                    variables[String(text[..<separator])] = String(text[text.index(after: separator)...])
                }
                cursor = cursor?.advanced(by: 1)
            }
            return variables
        }

        func validate() throws(BackendError) {
            if command.allSatisfy(\.isWhitespace) {
                throw BackendError(
                    .invalidConfiguration,
                    "cannot start the backend: its command is empty; set BACKEND_COMMAND or backend_command")
            }
            if backendPort == 0 {
                throw BackendError(
                    .invalidConfiguration,
                    "cannot start the backend: its port is 0; set BACKEND_PORT or backend_port to the port it "
                        + "listens on")
            }
        }
    }

    /// Whether and how soon a crashed backend is started again: 1 s after the first crash, doubling up to 30 s,
    /// and back to 1 s once a backend has stayed up for a minute.
    struct RestartPolicy: Sendable, Hashable {
        var restartsOnCrash: Bool
        var initialDelay: Duration
        var maximumDelay: Duration
        /// A backend that ran this long before crashing counts as healthy: the backoff starts over.
        var resetAfterUptime: Duration

        init(
            restartsOnCrash: Bool = false,
            initialDelay: Duration = .seconds(1),
            maximumDelay: Duration = .seconds(30),
            resetAfterUptime: Duration = .seconds(60)
        ) {
            self.restartsOnCrash = restartsOnCrash
            self.initialDelay = initialDelay
            self.maximumDelay = maximumDelay
            self.resetAfterUptime = resetAfterUptime
        }

        /// The wait before the restart that follows crash number `crashes` (1-based) in a row.
        func delay(afterConsecutiveCrashes crashes: Int) -> Duration {
            var delay = initialDelay
            for _ in 1..<max(1, crashes) {
                delay *= 2
                if delay >= maximumDelay { return maximumDelay }
            }
            return min(delay, maximumDelay)
        }
    }
}
