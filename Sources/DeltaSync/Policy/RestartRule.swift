/// One piece of restart policy: given a changed file, says what the app needs, or has no opinion.
///
/// Conform to add rules the glob syntax cannot express (by change kind, by directory, by content known
/// elsewhere). A ``RestartRuleSet`` asks its rules in order and the first with an opinion decides the file.
public protocol RestartRule: Sendable, CustomStringConvertible {
    /// What `change` needs, or nil when this rule has no opinion and later rules should be asked.
    func evaluate(_ change: PathChange) -> RuleEffect?

    /// A short name for the rule, quoted in ``RestartDecision/Reason`` descriptions (e.g. `*.py`).
    var description: String { get }
}
