import DeltaSync
import Glibc
import Synchronization

/// One run of a shell command (the backend, or a restart rule's command): `/bin/sh -c COMMAND` as the leader of
/// its own process group, with a thread that drains its output and a thread blocked in `waitid` that reports its
/// end the moment it happens.
///
/// The process group lives and dies with its leader: when the leader ends, for whatever reason, whatever is
/// left of its group is killed with SIGKILL, the way a container's processes die with its init. Workers that
/// need a graceful shutdown should be waited for by the leader (or the command should `exec` the server).
/// The leader is reaped only after that sweep, so the group id cannot have been reused by an unrelated process
/// when the signal is sent; ``signalGroup(_:)`` refuses to signal once reaping has begun, for the same reason.
final class ChildProcess: Sendable {
    /// The leader's process id, which is also the process group id.
    let pid: pid_t

    private struct Lifecycle {
        /// Set just before the leader is reaped: from then on its pid may name another process.
        var isReaping = false
        var exitStatus: ExitStatus?
        var waiters: [Int: CheckedContinuation<ExitStatus?, Never>] = [:]
        var nextWaiterID = 0
    }

    private let lifecycle = Mutex(Lifecycle())
    /// Set by the output thread once both pipes reached end of file and every line is in the tail.
    private let outputEnd: OutputEnd

    private init(pid: pid_t, outputEnd: OutputEnd) {
        self.pid = pid
        self.outputEnd = outputEnd
    }

    /// Starts `/bin/sh -c command` in `workingDirectory` with exactly `environment`, in a new process group.
    ///
    /// Signals the controller ignores or blocks are reset to their defaults in the child, so a backend can be
    /// stopped with SIGTERM and notices a closed pipe, whatever the controller does with those signals.
    /// `role` names the process in error messages ("the backend", "the command \"npm install\"").
    static func spawn(
        command: String, workingDirectory: String, environment: [String: String],
        passThrough: OutputPassThrough, tail: OutputTail, role: String = "the backend"
    ) throws(BackendError) -> ChildProcess {
        try checkWorkingDirectory(workingDirectory, role: role)
        let standardOutput = try makePipe(for: "stdout", role: role)
        let standardError: (read: Int32, write: Int32)
        do {
            standardError = try makePipe(for: "stderr", role: role)
        } catch {
            [standardOutput.read, standardOutput.write].forEach { _ = Glibc.close($0) }
            throw error
        }

        // The output thread starts first and owns the read ends: if it cannot start, nothing is spawned, and
        // once it runs, every process that ends up holding the write ends is drained until it lets go.
        let outputEnd = OutputEnd()
        let pumpError = startThread {
            OutputPump.run(
                standardOutput: standardOutput.read, standardError: standardError.read,
                passThrough: passThrough, tail: tail)
            outputEnd.reached()
        }
        if pumpError != 0 {
            [standardOutput.read, standardOutput.write, standardError.read, standardError.write].forEach {
                _ = Glibc.close($0)
            }
            throw BackendError(
                .spawnFailed,
                "cannot start \(role): no thread to read its output (\(describe(pumpError))); "
                    + "the controller is short of memory or threads", errno: pumpError)
        }

        let spawned = spawnShell(
            command: command, workingDirectory: workingDirectory, environment: environment,
            standardOutput: standardOutput.write, standardError: standardError.write, role: role)
        // The child has its own copies now; closing ours lets the output thread see end of file when it ends.
        _ = Glibc.close(standardOutput.write)
        _ = Glibc.close(standardError.write)
        let pid: pid_t
        switch spawned {
        case .success(let spawnedPid): pid = spawnedPid
        case .failure(let error): throw error
        }

        let child = ChildProcess(pid: pid, outputEnd: outputEnd)
        let waiterError = startThread { child.waitForExit() }
        if waiterError != 0 {
            // Without a thread to reap it the backend would become an unmonitored zombie: end it now.
            _ = kill(-pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && Glibc.errno == EINTR {}
            throw BackendError(
                .spawnFailed,
                "cannot watch \(role): no thread to wait for it (\(describe(waiterError))); "
                    + "the controller is short of memory or threads", errno: waiterError)
        }
        return child
    }

    // MARK: Signals and exit

    /// Sends `signal` to every process in the backend's group; false once the group is gone.
    @discardableResult
    func signalGroup(_ signal: Int32) -> Bool {
        lifecycle.withLock { state in
            guard !state.isReaping else { return false }
            return kill(-pid, signal) == 0
        }
    }

    /// How the leader ended, if it has.
    var exitStatus: ExitStatus? {
        lifecycle.withLock { $0.exitStatus }
    }

    /// Suspends until the leader has ended and been reaped; `nil` only if the waiting task is cancelled.
    func waitForExitStatus() async -> ExitStatus? {
        let id = lifecycle.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ExitStatus?, Never>) in
                let immediate: ExitStatus?? = lifecycle.withLock { state in
                    if let status = state.exitStatus { return .some(status) }
                    // Checked under the lock, so a cancellation either is seen here or finds the waiter below.
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = lifecycle.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    /// Like ``waitForExitStatus()``, but gives up after `timeout` and returns `nil`.
    func waitForExitStatus(timeout: Duration) async -> ExitStatus? {
        await withTaskGroup(of: ExitStatus?.self) { group in
            group.addTask { await self.waitForExitStatus() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? exitStatus
        }
    }

    /// Waits until the output thread has read both pipes to their end, so ``OutputTail`` holds every last line;
    /// false when `timeout` passes first (a process that left the group still holds a pipe open).
    func waitForOutputEnd(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.outputEnd.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || outputEnd.isReached
        }
    }

    /// Runs on the waiter thread: blocks until the leader ends, kills what is left of its group, reaps the
    /// leader and wakes everyone waiting.
    private func waitForExit() {
        var info = siginfo_t()
        var observed: Int32
        repeat {
            // WNOWAIT leaves the leader a zombie, which keeps its pid (the group id) reserved for the sweep.
            observed = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT)
        } while observed != 0 && Glibc.errno == EINTR
        if observed == 0 {
            _ = kill(-pid, SIGKILL)
        }

        lifecycle.withLock { $0.isReaping = true }
        var rawStatus: Int32 = 0
        var reaped: pid_t
        repeat {
            reaped = waitpid(pid, &rawStatus, 0)
        } while reaped < 0 && Glibc.errno == EINTR
        let status = reaped == pid ? ExitStatus(waitStatus: rawStatus) : .unknown

        let waiters = lifecycle.withLock { state in
            state.exitStatus = status
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.resume(returning: status)
        }
    }

    // MARK: System calls

    private static func checkWorkingDirectory(_ path: String, role: String) throws(BackendError) {
        let info: Glibc.stat
        do throws(DeltaSyncError) {
            info = try SystemCall.statFollowingLinks(path)
        } catch {
            let code = error.errno ?? EIO
            throw BackendError(
                .invalidConfiguration,
                "cannot start \(role): its working directory \(path) is not accessible (\(describe(code))); "
                    + "create it or point the controller at the app's directory", errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw BackendError(
                .invalidConfiguration,
                "cannot start \(role): its working directory \(path) is not a directory; "
                    + "point the controller at the app's directory")
        }
    }

    /// A pipe whose ends are closed on exec, so backends started concurrently never inherit each other's.
    private static func makePipe(for stream: String, role: String) throws(BackendError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        let created: Int32
        if let pipe2 = GNUExtensions.pipe2 {
            created = pipe2(&ends, O_CLOEXEC)
        } else {
            // Without pipe2 a spawn on another thread between these calls could inherit the pipe.
            created = pipe(&ends)
            if created == 0 { ends.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) } }
        }
        guard created == 0 else {
            let code = Glibc.errno
            throw BackendError(
                .spawnFailed,
                "cannot start \(role): no pipe for its \(stream) (\(describe(code))); "
                    + "the controller may have run out of file descriptors", errno: code)
        }
        return (ends[0], ends[1])
    }

    private static func spawnShell(
        command: String, workingDirectory: String, environment: [String: String],
        standardOutput: Int32, standardError: Int32, role: String
    ) -> Result<pid_t, BackendError> {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        // The dup2s come first: if the controller runs with fd 0 closed, a pipe end may be fd 0.
        posix_spawn_file_actions_adddup2(&fileActions, standardOutput, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&fileActions, standardError, STDERR_FILENO)
        posix_spawn_file_actions_addopen(&fileActions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        var arguments = ["/bin/sh", "-c", command]
        if let addChdir = GNUExtensions.addChdir {
            _ = addChdir(&fileActions, workingDirectory)
        } else {
            // The shell changes directory, then becomes the shell that runs the command.
            arguments = ["/bin/sh", "-c", #"cd -- "$1" && exec /bin/sh -c "$2""#, "/bin/sh", workingDirectory, command]
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)

        let argumentStrings = arguments.map { strdup($0) } + [nil]
        let variableStrings = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argumentStrings.forEach { free($0) }
            variableStrings.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &fileActions, &attributes, argumentStrings, variableStrings)
        guard result == 0 else {
            return .failure(
                BackendError(
                    .spawnFailed,
                    "cannot start \(role) (/bin/sh -c \(command) in \(workingDirectory)): \(describe(result)); "
                        + "check that /bin/sh exists and the working directory can be entered", errno: result))
        }
        return .success(pid)
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Runs `body` on a new detached thread, for work that blocks in a system call for the backend's whole life.
    /// Returns 0 or the `pthread_create` error.
    private static func startThread(_ body: @escaping @Sendable () -> Void) -> Int32 {
        final class ThreadBody {
            let run: @Sendable () -> Void
            init(_ run: @escaping @Sendable () -> Void) { self.run = run }
        }
        let retained = Unmanaged.passRetained(ThreadBody(body))
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                guard let argument else { return nil }
                Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue().run()
                return nil
            }, retained.toOpaque())
        guard result == 0 else {
            retained.release()
            return result
        }
        pthread_detach(thread)
        return 0
    }
}

/// The two GNU extensions spawning needs. Swift's Glibc module is built without `_GNU_SOURCE`, so they are not
/// imported; they are looked up once in the C library already loaded into the process instead.
private enum GNUExtensions {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    /// `pipe2`: sets `O_CLOEXEC` atomically, so a process spawned by another thread cannot inherit the pipe.
    static let pipe2: Pipe2? = lookUp("pipe2", as: Pipe2.self)
    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29, musl 1.1.24): the child changes directory itself.
    static let addChdir: AddChdir? =
        lookUp("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)

    private static func lookUp<Function>(_ name: String, as type: Function.Type) -> Function? {
        guard let loaded = dlopen(nil, RTLD_NOW), let symbol = dlsym(loaded, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }
}

/// Checks whether `127.0.0.1:port` accepts TCP connections without ever blocking the caller: a connection
/// still in progress is kept and looked at again on the next check.
struct PortProbe: ~Copyable {
    let port: UInt16
    private var pendingSocket: Int32 = -1
    private var pendingChecks = 0

    init(port: UInt16) {
        self.port = port
    }

    deinit {
        if pendingSocket >= 0 { _ = Glibc.close(pendingSocket) }
    }

    /// True when a connection was accepted (and closed again at once).
    mutating func accepts() -> Bool {
        if pendingSocket >= 0 {
            var descriptor = pollfd(fd: pendingSocket, events: Int16(POLLOUT), revents: 0)
            if poll(&descriptor, 1, 0) == 0 {
                pendingChecks += 1
                // A handshake that never finishes (a full accept queue) is abandoned and tried afresh.
                if pendingChecks > 20 { closePending() }
                return false
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            let queried = getsockopt(pendingSocket, SOL_SOCKET, SO_ERROR, &error, &length)
            closePending()
            return queried == 0 && error == 0
        }

        let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let descriptor = socket(AF_INET, socketType, 0)
        guard descriptor >= 0 else { return false }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if connected == 0 {
            _ = Glibc.close(descriptor)
            return true
        }
        if Glibc.errno == EINPROGRESS || Glibc.errno == EINTR {
            pendingSocket = descriptor
            pendingChecks = 0
            return false
        }
        _ = Glibc.close(descriptor)
        return false
    }

    private mutating func closePending() {
        _ = Glibc.close(pendingSocket)
        pendingSocket = -1
    }
}

/// A one-way flag for "the output thread is done", which tasks can wait for.
private final class OutputEnd: Sendable {
    private struct State {
        var reached = false
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiterID = 0
    }

    private let state = Mutex(State())

    var isReached: Bool { state.withLock { $0.reached } }

    /// Called once, by the output thread.
    func reached() {
        let waiters = state.withLock { state in
            state.reached = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// True once reached; false when the waiting task is cancelled first.
    func wait() async -> Bool {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate: Bool? = state.withLock { state in
                    if state.reached { return true }
                    if Task.isCancelled { return false }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
        }
    }
}
