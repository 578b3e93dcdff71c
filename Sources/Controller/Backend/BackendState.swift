import Glibc

/// How a backend process ended, decoded from the status `waitpid` reports.
enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The process called `exit` (or returned from `main`) with this code.
    case exited(code: Int32)
    /// A signal ended the process.
    case signaled(signal: Int32, coreDumped: Bool = false)
    /// The status was lost: something else in this process reaped the child first.
    case unknown

    /// Decodes a raw `waitpid` status; `WIFEXITED` and friends are C macros Swift does not import.
    init(waitStatus: Int32) {
        let terminatingSignal = waitStatus & 0x7f
        if terminatingSignal == 0 {
            self = .exited(code: (waitStatus >> 8) & 0xff)
        } else if terminatingSignal != 0x7f {
            self = .signaled(signal: terminatingSignal, coreDumped: waitStatus & 0x80 != 0)
        } else {
            // 0x7f marks a stopped process, which waitpid without WUNTRACED never reports.
            self = .unknown
        }
    }

    /// Exit code 0: the backend ended on its own terms, which is not counted as a crash.
    var isSuccess: Bool { self == .exited(code: 0) }

    var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal, let coreDumped):
            "signal \(signal) (\(Self.signalName(signal)))" + (coreDumped ? ", core dumped" : "")
        case .unknown: "an unknown status (another part of the controller reaped the process)"
        }
    }

    /// What the status usually means for a command run by `/bin/sh -c`, for the codes the shell itself sets.
    var explanation: String? {
        switch self {
        case .exited(code: 127):
            "the shell could not find the command: check the backend command and that its program is on PATH"
        case .exited(code: 126):
            "the shell found the command but could not execute it: check its permissions and interpreter line"
        case .signaled(signal: SIGKILL, _):
            "it was killed with SIGKILL: by the controller after the grace period, or by the kernel when out of memory"
        case .signaled(signal: SIGSEGV, _), .signaled(signal: SIGBUS, _), .signaled(signal: SIGABRT, _):
            "the program crashed: see the backend's last output lines"
        default: nil
        }
    }

    /// Short names for the signals a backend is likely to die of; `sigabbrev_np` is not imported.
    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGUSR1: "SIGUSR1"
        case SIGSEGV: "SIGSEGV"
        case SIGUSR2: "SIGUSR2"
        case SIGWINCH: "SIGWINCH"
        case SIGPIPE: "SIGPIPE"
        case SIGALRM: "SIGALRM"
        case SIGTERM: "SIGTERM"
        case SIGXCPU: "SIGXCPU"
        case SIGXFSZ: "SIGXFSZ"
        default: "signal \(signal)"
        }
    }
}

/// Where the backend is in its life, for the status endpoint and for requests deciding whether to wait.
enum BackendState: Sendable, Hashable, CustomStringConvertible {
    /// Spawned, but its port does not accept connections yet.
    case starting
    /// Its port accepts connections.
    case running
    /// Being stopped (SIGTERM sent, grace period running); during a restart the new backend follows.
    case stopping
    /// Ended with a non-zero exit code or a signal without being asked to.
    case crashed(ExitStatus)
    /// Ended with exit code 0 without being asked to.
    case exited(ExitStatus)
    /// Never started, or stopped on request.
    case stopped

    var description: String {
        switch self {
        case .starting: "starting"
        case .running: "running"
        case .stopping: "stopping"
        case .crashed(let status): "crashed (\(status))"
        case .exited(let status): "exited (\(status))"
        case .stopped: "stopped"
        }
    }
}

/// Whether a backend became ready, as seen by someone waiting for it.
enum BackendReadiness: Sendable, Hashable, CustomStringConvertible {
    /// The port accepts connections.
    case ready
    /// The wait's time limit passed first; the backend may still become ready later.
    case timedOut
    /// The backend ended before its port accepted connections.
    case exited(ExitStatus)
    /// The backend was stopped, or start failed (see ``BackendSnapshot/lastFailure``).
    case stopped

    /// Worded for a client whose push restarted the backend.
    var description: String {
        switch self {
        case .ready: "ready"
        case .timedOut: "not accepting connections yet when the wait ended; it may still be starting"
        case .exited(let status):
            "ended with \(status) before accepting connections" + (status.explanation.map { ": \($0)" } ?? "")
        case .stopped: "stopped before it became ready"
        }
    }
}

/// What ``BackendSupervisor/restart()`` achieved and how long the stop, start and readiness wait took together.
struct RestartReport: Sendable, Hashable {
    var readiness: BackendReadiness
    var elapsed: Duration
    /// The new backend's process id (and process group id).
    var pid: pid_t?
}

/// Everything the status endpoint reports about the backend, copied out of the supervisor at one instant.
struct BackendSnapshot: Sendable, Hashable {
    var state: BackendState
    /// The running backend's process id, which is also its process group id; `nil` when none runs.
    var pid: pid_t?
    /// Wall-clock start time of the current backend, in seconds since the Unix epoch.
    var startedAtUnixTime: Double?
    /// How long the current backend has been running, measured on the monotonic clock.
    var uptime: Duration?
    /// Backends started after the first one: manual restarts and restarts after crashes.
    var restartCount: Int
    /// How the previous backend ended, if one has ended.
    var lastExitStatus: ExitStatus?
    /// The latest failure in words (spawn error, crash), cleared when a backend becomes ready.
    var lastFailure: String?
    /// The port the backend is expected to listen on, as passed in `PORT`.
    var backendPort: UInt16
}

/// Why the backend could not be started, worded for the person who configures the controller.
///
/// A struct over an open set of ``Code`` values, like `DeltaSyncError`, so new kinds of failure do not break
/// callers that switch over them.
struct BackendError: Error, Sendable, Hashable, CustomStringConvertible {
    struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Storage: Hashable, Sendable {
            case invalidConfiguration, spawnFailed
        }
        let storage: Storage

        /// The command, working directory or port cannot work; fix the configuration.
        static let invalidConfiguration = Code(storage: .invalidConfiguration)
        /// The system refused to create the process, its pipes or the threads that watch it.
        static let spawnFailed = Code(storage: .spawnFailed)

        var description: String { "\(storage)" }
    }

    let code: Code
    /// A sentence that says what happened and what to do.
    let message: String
    /// The `errno` of the failed system call, when one failed.
    let errno: Int32?

    init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    var description: String { message }
}
