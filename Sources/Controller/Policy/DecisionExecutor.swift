/// Carries out a push's decision once its files are applied: runs the commands in order, then signals or
/// restarts the backend, unless a command failed. The files stay applied either way: undoing them would not
/// undo what a half-run install changed, and the developer's next push fixes both.
struct DecisionExecutor: Sendable {
    let backend: BackendSupervisor
    let runner: CommandRunner

    /// Fills `answer`'s `commands`, `restart`, `restartSkipped` and backend fields.
    func carryOut(_ decision: PushDecision, into answer: inout PushAnswer) async {
        var failed: CommandReport?
        for command in decision.commands {
            if let failed {
                answer.commands.append(.skipped(command, after: failed))
                continue
            }
            let report = await runner.run(command)
            answer.commands.append(report)
            if !report.succeeded { failed = report }
        }

        switch decision.action {
        case .none, .fullPush:
            return
        case .signal(let number):
            let name = ExitStatus.signalName(number)
            if let failed {
                answer.restartSkipped = Self.skipped(because: failed, "the app was not sent \(name)")
                return
            }
            if await backend.signal(number) {
                answer.backendReady = await backend.snapshot().state == .running
            } else {
                answer.backendReady = false
                answer.backendProblem =
                    "\(name) was not sent: the app is not running; see recentOutput, then POST restart or push a fix"
            }
        case .restart:
            if let failed {
                answer.restartSkipped = Self.skipped(because: failed, "the app was not restarted")
                return
            }
            answer.restart = true
            do {
                let report = try await backend.restart()
                answer.backendReady = report.readiness == .ready
                answer.backendReadyAfterMilliseconds = Int(report.elapsed / .milliseconds(1))
                if report.readiness != .ready { answer.backendProblem = "\(report.readiness)" }
            } catch {
                answer.backendReady = false
                answer.backendProblem = error.message
            }
        }
        if answer.backendReady != true { answer.recentOutput = Array(backend.recentOutput().suffix(20)) }
    }

    /// `"pip install -r requirements.txt" failed (exit 1); the app was not restarted ...`.
    private static func skipped(because failed: CommandReport, _ consequence: String) -> String {
        "\(failed.failureSummary); \(consequence), the files are applied: fix it and push again"
    }
}
