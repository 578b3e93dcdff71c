import DeltaSync

/// What the controller decided for one push, worded for its answer: the action, the commands, one line per
/// reason, where the rules came from and, for a full push, what to tell the developer.
struct PushDecision: Sendable {
    /// The rule set's decision, with commands whose tool is missing turned into full pushes.
    let decision: RestartDecision
    /// What is done: the decision's action, or what the client asked for instead (``RestartOverride``).
    let action: RestartAction
    /// See ``PushRules/origin``.
    let rulesOrigin: String
    /// `app.py (modified): *.py -> restart`, one per reason; first, when the push changed `.fastpush.yml`, a line
    /// saying so.
    let reasons: [String]

    /// Decides the push that made `result`, with the app's rules as the push leaves them.
    ///
    /// - Parameters:
    ///   - root: The app directory, whose top-level names (as the push leaves them) give the app's kind.
    ///   - searchPath: The backend's `PATH`, where a command's tool must be found.
    ///   - override: The client's `restart=always|never`, which wins over the rules (but not over a full push).
    init(
        result: PushResult, appRules: [ConfiguredRule], config: ControllerConfig, root: String, searchPath: String?,
        override: RestartOverride? = nil
    ) {
        var kinds: [PathKey: PathChange.Kind] = [:]
        var changes: [PathChange] = []
        for entry in result.entries {
            let kind: PathChange.Kind
            switch entry.change {
            case .created: kind = .added
            case .patched, .linked: kind = .modified
            case .deleted: kind = .deleted
            case .modeChanged: kind = .mode
            case .directoryCreated: continue  // rules are about files; the files inside come as their own entries
            }
            kinds[PathKey(entry.path)] = kind
            changes.append(PathChange(entry.path, kind))
        }

        let rules = PushRules(
            appRules: appRules, config: config, appKind: AppKind(topLevelNames: Self.topLevelNames(root, after: result))
        )
        decision = rules.ruleSet.decide(changes).resolvingMissingTools { tool in
            // A relative path such as ./install.sh is the app's own script.
            tool.contains("/") && !tool.hasPrefix("/")
                ? RestartDecision.toolExists(root + "/" + tool, searchPath: nil)
                : RestartDecision.toolExists(tool, searchPath: searchPath)
        }
        rulesOrigin = rules.origin

        var lines: [String] = []
        if let rulesChange = kinds[PathKey(AppRulesFile.path)] {
            lines.append(
                rulesChange == .deleted
                    ? "\(AppRulesFile.path) (deleted): the app's own restart rules are gone; this push was decided without them"
                    : "\(AppRulesFile.path) (\(rulesChange.rawValue)): the app's restart rules changed; this push was decided by the new rules"
            )
        }
        for reason in decision.reasons {
            if reason.missingTool != nil {
                lines.append(reason.description)
            } else {
                let kind = kinds[PathKey(reason.path)].map { " (\($0.rawValue))" } ?? ""
                lines.append("\(reason.path)\(kind): \(reason.rule) -> \(reason.effect)")
            }
        }
        switch (override, decision.action) {
        case (.always, .none), (.always, .signal):
            action = .restart
            lines.append("the client asked for a restart (--restart)")
        case (.never, .signal), (.never, .restart):
            action = .none
            lines.append("the client asked for no restart (--no-restart): the rules' \(decision.action) is skipped")
        default:
            action = decision.action
        }
        reasons = lines
    }

    /// Whether its commands run: not before a full push, whose staging installs what the app needs anyway.
    var commands: [String] { action == .fullPush ? [] : decision.commands }

    /// `none`, `signal`, `restart` or `full-push`.
    var actionName: String {
        switch action {
        case .none: "none"
        case .signal: "signal"
        case .restart: "restart"
        case .fullPush: "full-push"
        }
    }

    /// `SIGHUP` when the action is a signal.
    var signalName: String? {
        if case .signal(let number) = action { return ExitStatus.signalName(number) }
        return nil
    }

    /// For a full push: which files need `cf push`, why, and that the files are applied all the same.
    func fullPushNeeded(dryRun: Bool) -> String? {
        guard action == .fullPush else { return nil }
        var paths: [String] = []
        var why: [String] = []
        for reason in decision.reasons where reason.effect.action == .fullPush && !paths.contains(reason.path) {
            paths.append(reason.path)
            why.append(
                reason.missingTool.map { "\(reason.path): \($0) is not installed in the container" }
                    ?? "\(reason.path): rule \"\(reason.rule)\"")
        }
        let verb = paths.count == 1 ? "takes" : "take"
        return
            "\(paths.joined(separator: ", ")) only \(verb) effect with a full `cf push` (\(why.joined(separator: "; "))); "
            + (dryRun
                ? "a real push would apply the files anyway and not restart the app"
                : "the files were applied anyway and the app was not restarted")
    }

    /// The app's top-level names once the push is applied: a dry run has not changed the directory yet.
    private static func topLevelNames(_ root: String, after result: PushResult) -> Set<String> {
        var names = Set(((try? SystemCall.directoryNames(root)) ?? []).map { String(decoding: $0, as: UTF8.self) })
        for entry in result.entries where !entry.path.contains("/") {
            if entry.change == .deleted { names.remove(entry.path) } else { names.insert(entry.path) }
        }
        return names
    }
}
