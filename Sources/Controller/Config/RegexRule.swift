import DeltaSync

/// A restart rule over a ``RestartRegex``: a path matching its ignore pattern needs no restart (an opinion, so
/// no later rule restarts it either), a path matching its restart pattern gets ``effect``, and any other path
/// is left to later rules.
///
/// It carries the legacy `restart_regex`/`ignore_regex` pair into a `RestartRuleSet` unchanged, and it is the
/// matcher behind the `regex:` items of a rules list.
struct RegexRule: RestartRule, Equatable {
    /// The patterns, compiled.
    let regex: RestartRegex
    /// What a path matching the restart pattern needs.
    let effect: RuleEffect
    /// How reasons name the rule: `restart_regex "^*.py$"`.
    let description: String

    /// The legacy pair: paths matching `restart_regex` restart, paths matching `ignore_regex` never do.
    init(legacy regex: RestartRegex) {
        self.regex = regex
        effect = .restart
        var name = "restart_regex \(RelativePath.quoted(regex.restartPattern))"
        if !regex.ignorePattern.isEmpty { name += " unless ignore_regex \(RelativePath.quoted(regex.ignorePattern))" }
        description = name
    }

    /// A rule giving `effect` to the paths `pattern` matches anywhere (unanchored, as `restart_regex` is).
    ///
    /// - Throws: ``ControllerError/Code/configuration`` naming `source` when the pattern does not compile.
    init(pattern: String, effect: RuleEffect, source: String) throws(ControllerError) {
        regex = try RestartRegex(restart: pattern, ignore: "", restartSource: source)
        self.effect = effect
        description = "regex \(RelativePath.quoted(pattern))"
    }

    func evaluate(_ change: PathChange) -> RuleEffect? {
        if regex.isIgnored(path: change.path) { return .noRestart }
        return regex.matchesRestart(path: change.path) ? effect : nil
    }
}
