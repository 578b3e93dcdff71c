/// What the app needs after one push: commands to run, in order, then one action; with the reasons for both.
///
/// The action and commands are derived from the reasons, so the three always agree: the action is the
/// combination of every reason's action and the commands are the reasons' distinct commands in first-seen order.
public struct RestartDecision: Sendable, Hashable, CustomStringConvertible {
    /// The one action that covers every changed file, applied after ``commands``.
    public let action: RestartAction
    /// Shell commands to run in the app root before ``action``, each once, in the order first asked for.
    public let commands: [String]
    /// For each changed file a rule had an opinion on: which rule decided and what it asked for.
    public let reasons: [Reason]

    /// The decision that `reasons` add up to.
    public init(reasons: [Reason]) {
        var action = RestartAction.none
        var commands: [String] = []
        var seen: Set<String> = []
        for reason in reasons {
            action = action.combined(with: reason.effect.action)
            if let command = reason.effect.command, seen.insert(command).inserted { commands.append(command) }
        }
        self.action = action
        self.commands = commands
        self.reasons = reasons
    }

    /// Nothing to run, nothing to restart.
    public static let nothing = RestartDecision(reasons: [])

    /// One line per command, then the action, then the reasons, indented; for logs and the CLI.
    public var description: String {
        var lines = commands.map { "run \"\($0)\"" }
        lines.append(action.description)
        lines += reasons.map { "  \($0)" }
        return lines.joined(separator: "\n")
    }
}
