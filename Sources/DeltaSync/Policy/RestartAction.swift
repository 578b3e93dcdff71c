internal import Glibc

/// What the running app needs so that a push takes effect, ordered from weakest to strongest.
///
/// The order is what lets a push touching many files settle on one action: the strongest one wins,
/// because a stronger action also delivers everything a weaker one would (a restart rereads what a reload
/// would, and a full `cf push` restages and restarts).
public enum RestartAction: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nothing: the app picks the files up by itself (e.g. PHP, static files).
    case none
    /// Send this signal to the app (e.g. `SIGHUP`) so it reloads without a restart.
    case signal(Int32)
    /// Stop and start the app process.
    case restart
    /// The files are still applied, but the change only takes effect with a full `cf push`
    /// (e.g. a new buildpack, runtime or manifest).
    case fullPush

    /// The rank in the weakest-to-strongest order.
    private var strength: Int {
        switch self {
        case .none: 0
        case .signal: 1
        case .restart: 2
        case .fullPush: 3
        }
    }

    /// Orders by strength; two signals are ordered by number only so that the order is total.
    public static func < (lhs: RestartAction, rhs: RestartAction) -> Bool {
        if case .signal(let left) = lhs, case .signal(let right) = rhs { return left < right }
        return lhs.strength < rhs.strength
    }

    /// The one action that satisfies both `self` and `other`: the stronger of the two, except that two
    /// different signals become ``restart``, since one signal would not deliver what the other asks for.
    public func combined(with other: RestartAction) -> RestartAction {
        if case .signal(let left) = self, case .signal(let right) = other, left != right { return .restart }
        return Swift.max(self, other)
    }

    public var description: String {
        switch self {
        case .none: "no restart"
        case .signal(let number): "signal \(Self.signalName(number))"
        case .restart: "restart"
        case .fullPush: "full cf push"
        }
    }

    /// `SIGHUP` for 1 and the other common names; the number for the rest.
    static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGUSR1: "SIGUSR1", SIGUSR2: "SIGUSR2",
            SIGTERM: "SIGTERM", SIGWINCH: "SIGWINCH",
        ]
        return names[number] ?? "\(number)"
    }
}
