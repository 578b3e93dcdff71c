import DeltaSync

/// The rules that decide one push, in precedence order, and a phrase saying where they came from.
///
/// The app's own `.fastpush.yml` comes first (the developer knows the app best), then the controller's
/// `restart_rules`, then the legacy `restart_regex`/`ignore_regex` when the operator set either, or else the
/// defaults for the app's kind. Per file the first rule with an opinion decides (`RestartRuleSet`'s semantics).
struct PushRules: Sendable {
    /// The rules, in order.
    let ruleSet: RestartRuleSet
    /// `.fastpush.yml, then the defaults for a Python app`.
    let origin: String

    init(appRules: [ConfiguredRule], config: ControllerConfig, appKind: AppKind) {
        var rules: [any RestartRule] = []
        var origins: [String] = []
        if !appRules.isEmpty {
            rules += appRules as [any RestartRule]
            origins.append(AppRulesFile.path)
        }
        if !config.restartRules.isEmpty {
            rules += config.restartRules as [any RestartRule]
            origins.append("the controller's restart_rules")
        }
        if config.legacyRegexIsSet {
            rules.append(RegexRule(legacy: config.restartRule))
            origins.append("the controller's restart_regex/ignore_regex")
        } else {
            rules += RestartRuleSet.defaults(for: appKind).rules
            origins.append("the defaults for a \(appKind) app")
        }
        ruleSet = RestartRuleSet(rules)
        origin = origins.joined(separator: ", then ")
    }
}
