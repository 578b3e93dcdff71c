import DeltaSync

/// One item of a rules list, from the controller's `restart_rules:` or an app's `.fastpush.yml`: which paths
/// (gitignore-style globs, the matcher of `GlobRule`, or a regex) and what they need.
struct ConfiguredRule: RestartRule, Equatable {
    /// How the rule picks paths.
    enum Paths: Sendable, Equatable {
        /// Globs in the `.cfignore` syntax.
        case globs([String])
        /// A regular expression searched anywhere in the path.
        case regex(String)
    }

    /// The paths the rule is about, as written.
    let paths: Paths
    /// What those paths need.
    let effect: RuleEffect
    /// The compiled matcher, which also names the rule in reasons.
    private let matcher: any RestartRule

    /// A rule for `paths`.
    ///
    /// - Throws: ``ControllerError/Code/configuration`` naming `source` when a regex does not compile.
    init(paths: Paths, effect: RuleEffect, source: String) throws(ControllerError) {
        self.paths = paths
        self.effect = effect
        switch paths {
        case .globs(let patterns): matcher = GlobRule(patterns, effect: effect)
        case .regex(let pattern): matcher = try RegexRule(pattern: pattern, effect: effect, source: source)
        }
    }

    func evaluate(_ change: PathChange) -> RuleEffect? {
        matcher.evaluate(change)
    }

    var description: String { matcher.description }

    /// Two rules are equal when they are written the same: the matcher follows from that.
    static func == (lhs: ConfiguredRule, rhs: ConfiguredRule) -> Bool {
        lhs.paths == rhs.paths && lhs.effect == rhs.effect
    }
}
