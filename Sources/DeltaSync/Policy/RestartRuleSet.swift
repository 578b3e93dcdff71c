/// An ordered list of ``RestartRule``s that turns the files of one push into one ``RestartDecision``.
///
/// - Per file, the first rule in order with an opinion decides, and later rules are not asked. Put specific
///   rules before general ones: `/requirements.txt` (install, then restart) must come before a catch-all
///   such as `*` (no restart), or the catch-all would decide.
/// - Across files, the strongest action wins (see ``RestartAction/combined(with:)``), since it also
///   delivers what the weaker ones ask for.
/// - Every distinct command runs once, in the order the changes first asked for it, before the action.
/// - A file no rule has an opinion on has no effect.
public struct RestartRuleSet: Sendable {
    /// The rules, asked in this order.
    public var rules: [any RestartRule]

    /// A set asking `rules` in the given order.
    public init(_ rules: [any RestartRule]) {
        self.rules = rules
    }

    /// The rule that decides `change` (the first with an opinion) and what it asks for, or nil when none has one.
    public func decidingRule(for change: PathChange) -> (rule: any RestartRule, effect: RuleEffect)? {
        for rule in rules {
            if let effect = rule.evaluate(change) { return (rule, effect) }
        }
        return nil
    }

    /// What the app needs after a push that made `changes`.
    public func decide(_ changes: some Sequence<PathChange>) -> RestartDecision {
        var reasons: [RestartDecision.Reason] = []
        for change in changes {
            guard let (rule, effect) = decidingRule(for: change) else { continue }
            reasons.append(RestartDecision.Reason(path: change.path, rule: rule.description, effect: effect))
        }
        return RestartDecision(reasons: reasons)
    }
}
