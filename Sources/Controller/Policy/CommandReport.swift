/// How one command of a push's decision went, as the push answer reports it.
struct CommandReport: Sendable, Encodable, Equatable {
    /// The command as the rule wrote it.
    var command: String
    /// Whether it ran and exited with status 0.
    var succeeded: Bool
    /// `exit 0`, `exit 1`, `killed by SIGSEGV`, `timed out after 300 s`, `not run (dry run)`, ...
    var exitStatus: String
    /// Its last output lines (stdout and stderr, in arrival order).
    var output: [String]
    /// How long it ran.
    var seconds: Double

    /// A command a dry run would run.
    static func notRun(_ command: String) -> CommandReport {
        CommandReport(command: command, succeeded: true, exitStatus: "not run (dry run)", output: [], seconds: 0)
    }

    /// A command left out because an earlier one failed: later commands usually build on earlier ones.
    static func skipped(_ command: String, after failed: CommandReport) -> CommandReport {
        CommandReport(
            command: command, succeeded: false, exitStatus: "not run: \"\(failed.command)\" failed first", output: [],
            seconds: 0)
    }

    /// `"pip install -r requirements.txt" failed (exit 1)` or `"npm ci" timed out after 300 s`.
    var failureSummary: String {
        let quoted = "\"\(command)\""
        if exitStatus.hasPrefix("timed out") { return "\(quoted) \(exitStatus)" }
        return "\(quoted) failed (\(exitStatus))"
    }
}
