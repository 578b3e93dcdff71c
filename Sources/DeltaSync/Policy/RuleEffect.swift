/// What a rule asks for when a change concerns it: an optional command to run first, then an action.
///
/// The command comes first because it prepares what the action relies on: `npm install` must finish
/// before the restarted app can load the new dependencies.
public struct RuleEffect: Sendable, Hashable, CustomStringConvertible {
    /// What the app needs once the command (if any) has run.
    public var action: RestartAction
    /// A shell command to run in the app's root before the action (e.g. `pip install -r requirements.txt`).
    public var command: String?

    /// An effect that runs `command` (if not nil), then applies `action`.
    public init(action: RestartAction, command: String? = nil) {
        self.action = action
        self.command = command
    }

    /// Nothing to do: the file is taken as it is. Not named `none`, which in ``RestartRule/evaluate(_:)``'s
    /// optional result would silently mean "no opinion".
    public static let noRestart = RuleEffect(action: .none)
    /// Restart the app.
    public static let restart = RuleEffect(action: .restart)
    /// The change needs a full `cf push` to take effect.
    public static let fullPush = RuleEffect(action: .fullPush)

    /// Send `number` (e.g. `SIGHUP`) to the app so it reloads.
    public static func signal(_ number: Int32) -> RuleEffect { RuleEffect(action: .signal(number)) }

    /// Run `command`, then apply `action`.
    public static func run(_ command: String, then action: RestartAction) -> RuleEffect {
        RuleEffect(action: action, command: command)
    }

    /// `restart`, or `run "npm install", then restart`.
    public var description: String {
        guard let command else { return action.description }
        return "run \"\(command)\", then \(action)"
    }
}
