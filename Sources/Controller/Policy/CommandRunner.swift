import DeltaSync
import Glibc

/// Runs the commands of a push's decision (`pip install -r requirements.txt`, ...): each as `/bin/sh -c COMMAND`
/// in the app directory, with the backend's environment (`PORT` included), in its own process group.
///
/// A command that outlives ``timeout`` has its whole group killed, so a hung install cannot hold pushes up
/// forever. Its output goes to the controller's log like the backend's, and the last ``outputLineLimit`` lines
/// are kept for the push answer, since a failed install is explained by its last lines.
struct CommandRunner: Sendable {
    /// The app directory.
    var workingDirectory: String
    /// The backend's environment (see `BackendSupervisor.Configuration.processEnvironment`).
    var environment: [String: String]
    /// How long a command may run.
    var timeout: Duration
    /// How many output lines a report keeps.
    var outputLineLimit = 40
    var passThrough = OutputPassThrough.controllerStreams

    /// Runs `command` to its end or its time limit; never throws: a command that cannot even start is a failure
    /// in the report.
    func run(_ command: String) async -> CommandReport {
        let clock = ContinuousClock()
        let began = clock.now
        func seconds() -> Double { Self.seconds(began.duration(to: clock.now)) }
        let tail = OutputTail(capacity: outputLineLimit)
        ControllerLog.info("running \"\(command)\" in the app directory")
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                command: command, workingDirectory: workingDirectory, environment: environment,
                passThrough: passThrough, tail: tail, role: "the command \"\(command)\"")
        } catch {
            ControllerLog.warning(error.message)
            return CommandReport(
                command: command, succeeded: false, exitStatus: "could not start: \(error.message)", output: [],
                seconds: seconds())
        }

        var status = await process.waitForExitStatus(timeout: timeout)
        let timedOut = status == nil
        if timedOut {
            process.signalGroup(SIGKILL)
            // SIGKILL cannot be ignored; only a process stuck in the kernel outlives this bound.
            status = await process.waitForExitStatus(timeout: .seconds(5))
        }
        // The last lines may still be in the pipe when the exit is seen; a process that left the group may hold
        // it open for good, hence the bound.
        _ = await process.waitForOutputEnd(timeout: .seconds(2))

        let report = CommandReport(
            command: command, succeeded: !timedOut && status?.isSuccess == true,
            exitStatus: timedOut ? "timed out after \(Self.format(timeout)) s" : Self.describe(status),
            output: tail.lines(), seconds: seconds())
        if report.succeeded {
            ControllerLog.info("\"\(command)\" succeeded in \(Duration.seconds(report.seconds).forPeople)")
        } else {
            ControllerLog.warning("\(report.failureSummary) after \(Duration.seconds(report.seconds).forPeople)")
        }
        return report
    }

    /// `exit 1`, `killed by SIGSEGV`.
    private static func describe(_ status: ExitStatus?) -> String {
        switch status {
        case .exited(let code)?: "exit \(code)"
        case .signaled(let signal, _)?: "killed by \(ExitStatus.signalName(signal))"
        case .unknown?, nil: "ended with an unknown status"
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `300` for whole seconds, `0.5` otherwise, with at most three decimals.
    static func format(_ duration: Duration) -> String { format(seconds(duration)) }

    static func format(_ seconds: Double) -> String {
        let rounded = (seconds * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
