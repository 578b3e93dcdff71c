import DeltaSync

/// What a developer reads after a push: one line per change, what it cost against a full upload, the
/// controller's decision and why, and whether the app came back.
struct PushReport {
    let items: [PushPlanner.Item]
    let answer: PushAnswer
    /// Request bodies, the bundle's among them.
    let bytesSent: Int
    /// Answer bodies: the manifest, signatures, the push answer.
    let bytesReceived: Int
    let requests: Int
    let elapsed: Duration

    /// Prints the report; returns whether everything went as asked.
    func print(to terminal: Terminal) -> Bool {
        for item in items { terminal.print(Self.colouredLine(item, terminal)) }
        let dryRun = answer.dryRun ?? false
        let wholeFiles = items.filter { $0.kind == .file && $0.change != .deleted && $0.change != .mode }
            .reduce(0) { $0 + $1.fileSize }
        let saved = wholeFiles > bytesSent ? " (\(Self.percent(1 - Double(bytesSent) / Double(wholeFiles))) less)" : ""
        // "1 change pushed: 137 B sent against …, 1.1 KiB received, …" / "1 change would be pushed: 137 B to send against …"
        terminal.print(
            "\(items.count) change\(items.count == 1 ? "" : "s") \(dryRun ? "would be pushed" : "pushed"): "
                + "\(ByteCount(bytesSent)) \(dryRun ? "to send" : "sent") against \(ByteCount(wholeFiles)) for the changed files whole\(saved), "
                + "\(ByteCount(bytesReceived)) received, \(requests) request\(requests == 1 ? "" : "s"), \(PushSession.seconds(elapsed))")
        return decision(to: terminal, dryRun: dryRun)
    }

    /// The restart decision, its reasons, commands and the app's state afterwards.
    private func decision(to terminal: Terminal, dryRun: Bool) -> Bool {
        var succeeded = true
        let action = answer.action ?? ((answer.restart ?? false) ? "restart" : "none")
        let reasons = answer.reasons ?? []
        let because = reasons.isEmpty ? "" : ":\n" + reasons.map { "  - \($0)" }.joined(separator: "\n")
        let verb = dryRun ? "Would" : "Decision:"
        switch action {
        case "restart":
            terminal.print(dryRun ? "Would restart the app\(because)" : "\(verb) restart the app\(because)")
        case "signal":
            terminal.print("\(dryRun ? "Would send" : "Sent") \(answer.signal ?? "a signal") to the app so it reloads\(because)")
        case "full-push":
            terminal.print(terminal.paint("This change needs a full `cf push` to take effect", .yellow) + because)
        default:
            terminal.print(dryRun ? "No restart would be needed\(because)" : "No restart needed\(because)")
        }
        if let rules = answer.rules { terminal.print("  (rules: \(rules))") }
        if let fullPush = answer.fullPushNeeded { terminal.print(terminal.paint(fullPush, .yellow)) }
        for command in answer.commands ?? [] {
            let took = command.seconds.map { " in \(String(format: "%.1f", $0)) s" } ?? ""
            if command.succeeded {
                terminal.print("Ran `\(command.command)`\(took): \(command.exitStatus ?? "ok")")
            } else {
                succeeded = false
                terminal.print(terminal.paint("`\(command.command)` failed\(took): \(command.exitStatus ?? "failed")", .red))
                for line in (command.output ?? []).suffix(20) { terminal.print(terminal.paint("    \(line)", .dim)) }
            }
        }
        if let skipped = answer.restartSkipped { terminal.print(terminal.paint("Not restarted: \(skipped)", .yellow)) }
        guard !dryRun else {
            terminal.print("Dry run: nothing was changed.")
            return succeeded
        }
        if let ready = answer.backendReady {
            if ready {
                let after = answer.backendReadyAfterMilliseconds.map { " after \(PushSession.seconds(.milliseconds($0)))" } ?? ""
                terminal.print(terminal.paint("The app is back\(after).", .green))
            } else {
                succeeded = false
                terminal.print(terminal.paint("The app did not come back: \(answer.backendProblem ?? "no answer on its port")", .red))
                let output = answer.recentOutput ?? []
                if !output.isEmpty {
                    terminal.print("Its last output:")
                    for line in output.suffix(20) { terminal.print(terminal.paint("    \(line)", .dim)) }
                }
                terminal.print("Fix the problem and push again; `cf fast-push-status` shows the app's state.")
            }
        }
        return succeeded
    }

    static func colouredLine(_ item: PushPlanner.Item, _ terminal: Terminal) -> String {
        let line = PushLine(item).description
        switch item.change {
        case .new: return terminal.paint(String(line.prefix(6)), .green) + line.dropFirst(6)
        case .modified, .mode: return terminal.paint(String(line.prefix(6)), .yellow) + line.dropFirst(6)
        case .deleted: return terminal.paint(String(line.prefix(6)), .red) + line.dropFirst(6)
        }
    }

    static func percent(_ fraction: Double) -> String {
        let value = (fraction * 1000).rounded() / 10
        return value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }
}
