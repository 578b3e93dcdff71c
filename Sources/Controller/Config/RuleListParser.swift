import DeltaSync
import Glibc

/// Reads a list of restart rules written in YAML, the same in the controller's `restart_rules:` and in an
/// app's `.fastpush.yml`:
///
/// ```yaml
/// restart_rules:
///   - paths: /requirements.txt           # a glob, or a list of globs (the .cfignore syntax)
///     run: pip install -r requirements.txt
///     then: restart                      # after run: restart (the default), none, full-push or signal:HUP
///   - paths: ["templates/**", "*.jinja"]
///     signal: HUP                        # HUP USR1 USR2 INT QUIT TERM WINCH, or a number
///   - regex: '\.py$'                     # instead of paths: a regex searched anywhere in the path
///     action: restart                    # none, restart or full-push
/// ```
///
/// Every problem is an error naming the list, the rule's number and line, and what to write instead: a rule
/// that silently did nothing would be found only when a push fails to restart the app.
enum RuleListParser {
    /// The keys a rule may have.
    static let keys: Set<String> = ["paths", "regex", "action", "signal", "run", "then"]
    /// The signals a rule may name; apps reload on these by convention, and naming KILL or STOP is surely a mistake.
    static let signalNames: [String: Int32] = [
        "HUP": SIGHUP, "USR1": SIGUSR1, "USR2": SIGUSR2, "INT": SIGINT, "QUIT": SIGQUIT, "TERM": SIGTERM,
        "WINCH": SIGWINCH,
    ]

    /// The rules of a YAML list, in order.
    ///
    /// - Parameter source: Names the list in messages, such as "`restart_rules` in .fastpush.yml".
    static func rules(from node: YAMLNode, source: String) throws(ControllerError) -> [ConfiguredRule] {
        guard case .sequence(let sequence) = node.content else {
            throw ControllerError(
                .configuration,
                "\(source) must be a list of rules, each item starting with `- paths:` (or `- regex:`) "
                    + "(line \(node.line))")
        }
        var rules: [ConfiguredRule] = []
        for (index, item) in sequence.enumerated() {
            rules.append(
                try rule(from: item, place: "\(source), rule \(index + 1) (line \(item.line))"))
        }
        return rules
    }

    private static func rule(from node: YAMLNode, place: String) throws(ControllerError) -> ConfiguredRule {
        func fail(_ problem: String) -> ControllerError { ControllerError(.configuration, "\(place) \(problem)") }
        guard case .mapping(let mapping) = node.content else {
            throw fail("is not a rule; write each rule as `- paths: \"*.py\"` with `action: restart` on the next line")
        }
        var fields: [String: YAMLNode] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.text ?? "?"
            guard keys.contains(key) else {
                throw fail(
                    "has the unknown key `\(key)`; a rule has paths: (or regex:) and one of action:, signal: or run: (with then:)"
                )
            }
            fields[key] = value
        }

        let paths: ConfiguredRule.Paths
        switch (fields["paths"], fields["regex"]) {
        case (nil, nil):
            throw fail("names no files; add `paths: \"*.py\"` (a glob or a list of globs) or `regex: '\\.py$'`")
        case (.some, .some):
            throw fail("has both paths: and regex:; keep one")
        case (let globs?, nil):
            paths = .globs(try patterns(globs, fail))
        case (nil, let regex?):
            let pattern = try text(regex, "regex", fail)
            do {
                _ = try Regex(pattern)
            } catch {
                throw fail(
                    "has regex: \(RelativePath.quoted(pattern)), which is not a valid regular expression (\(error)); fix it"
                )
            }
            paths = .regex(pattern)
        }

        let chosen = ["action", "signal", "run"].filter { fields[$0] != nil }
        if chosen.count > 1 {
            throw fail("has \(chosen.map { "\($0):" }.joined(separator: " and ")); give only one of them")
        }
        if fields["then"] != nil && fields["run"] == nil {
            throw fail(
                "has then: without run:; then: says what follows a command, so add `run: \"command\"` or remove then:")
        }
        let effect: RuleEffect
        if let action = fields["action"] {
            let word = try text(action, "action", fail)
            guard let parsed = self.action(word) else {
                throw fail(
                    "has action: \(RelativePath.quoted(word)), which is not an action; use none, restart or full-push "
                        + "(or `signal: HUP` instead of action:)")
            }
            effect = RuleEffect(action: parsed)
        } else if let signal = fields["signal"] {
            effect = .signal(try self.signal(try text(signal, "signal", fail), fail))
        } else if let run = fields["run"] {
            effect = .run(try text(run, "run", fail), then: try then(fields["then"], fail))
        } else {
            throw fail(
                "does not say what to do; add `action: restart` (or none, full-push), `signal: HUP` or `run: \"command\"`"
            )
        }
        return try ConfiguredRule(paths: paths, effect: effect, source: place)
    }

    /// What follows a command: restart when not said, else `restart`, `none`, `full-push` or `signal:HUP`.
    private static func then(_ node: YAMLNode?, _ fail: (String) -> ControllerError) throws(ControllerError)
        -> RestartAction
    {
        guard let node else { return .restart }
        let word = try text(node, "then", fail)
        if let parsed = action(word) { return parsed }
        guard word.lowercased().hasPrefix("signal") else {
            throw fail("has then: \(RelativePath.quoted(word)); after run: use restart, none, full-push or signal:HUP")
        }
        return .signal(try signal(String(word.dropFirst("signal".count).drop { $0 == ":" || $0 == " " }), fail))
    }

    /// `none`, `restart` or `full-push` (also written `full_push`).
    private static func action(_ word: String) -> RestartAction? {
        switch word.lowercased() {
        case "none": RestartAction.none  // spelt out: a bare .none would be the optional's nil
        case "restart": RestartAction.restart
        case "full-push", "full_push": RestartAction.fullPush
        default: nil
        }
    }

    /// `HUP`, `SIGHUP` or a number from 1 to 64.
    private static func signal(_ word: String, _ fail: (String) -> ControllerError) throws(ControllerError) -> Int32 {
        var name = ConfigLoader.trimmed(word, newlines: false).uppercased()
        if let number = Int32(name), (1...64).contains(number) { return number }
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        guard let number = signalNames[name] else {
            throw fail(
                "names the signal \(RelativePath.quoted(word)), which is not one apps reload on; use "
                    + signalNames.keys.sorted().joined(separator: ", ") + " or a number from 1 to 64")
        }
        return number
    }

    /// The globs of `paths:`: one string or a list of strings, none empty.
    private static func patterns(_ node: YAMLNode, _ fail: (String) -> ControllerError) throws(ControllerError)
        -> [String]
    {
        let items: [YAMLNode]
        if case .sequence(let sequence) = node.content { items = sequence } else { items = [node] }
        guard !items.isEmpty else { throw fail("has an empty paths: list; list at least one glob, such as \"*.py\"") }
        var patterns: [String] = []
        for item in items { patterns.append(try text(item, "paths", fail)) }
        return patterns
    }

    /// A single non-empty value.
    private static func text(_ node: YAMLNode, _ key: String, _ fail: (String) -> ControllerError)
        throws(ControllerError) -> String
    {
        guard let text = node.text, !node.isNull else {
            throw fail(
                node.isNull
                    ? "has \(key): without a value; give it one"
                    : "has a \(key): that is not a single value; write it as text")
        }
        guard !text.allSatisfy(\.isWhitespace) else {
            throw fail("has an empty \(key):; give it a value")
        }
        return text
    }
}
