extension RestartRuleSet {
    /// Root files that change how Cloud Foundry stages or runs the app (runtime, start command, manifest,
    /// buildpacks, apt packages): syncing them alone changes nothing, only a full `cf push` applies them.
    public static let fullPushPatterns = ["/runtime.txt", "/Procfile", "/manifest.yml", "/.buildpacks", "/apt.yml"]

    /// The default rules for an app of `kind`.
    ///
    /// The ``fullPushPatterns`` rule comes first, then dependency manifests (install, then restart), then
    /// source files (restart). Dependency manifests are anchored at the root (`/package.json`), so that a
    /// `package.json` deep in a vendored package does not trigger an install.
    public static func defaults(for kind: AppKind) -> RestartRuleSet {
        var rules: [any RestartRule] = [GlobRule(fullPushPatterns, effect: .fullPush)]
        switch kind {
        case .python:
            rules.append(GlobRule("/requirements.txt", effect: .run("pip install -r requirements.txt", then: .restart)))
            rules.append(GlobRule("*.py", effect: .restart))
        case .node(let manager):
            let manifests = ["/package.json", "/package-lock.json", "/yarn.lock", "/npm-shrinkwrap.json"]
            rules.append(GlobRule(manifests, effect: .run("\(manager.rawValue) install", then: .restart)))
            rules.append(GlobRule(["*.js", "*.mjs", "*.cjs", "*.ts"], effect: .restart))
        case .ruby:
            rules.append(GlobRule(["/Gemfile", "/Gemfile.lock"], effect: .run("bundle install", then: .restart)))
            rules.append(GlobRule("*.rb", effect: .restart))
        case .php:
            // PHP reads each script per request, so new code is live as soon as the file is written.
            rules.append(GlobRule("*.php", effect: .noRestart))
        case .staticFiles:
            break
        }
        return RestartRuleSet(rules)
    }

    /// The default rules for the app whose top-level names are `names` (see ``AppKind/init(topLevelNames:)``).
    public static func defaults(topLevelNames names: some Collection<String>) -> RestartRuleSet {
        defaults(for: AppKind(topLevelNames: names))
    }

    /// The default rules for the app in the directory `root`.
    ///
    /// - Throws: ``DeltaSyncError`` when `root` cannot be listed.
    public static func defaults(forAppAt root: String) throws(DeltaSyncError) -> RestartRuleSet {
        let names = try SystemCall.directoryNames(root).map { String(decoding: $0, as: UTF8.self) }
        return defaults(topLevelNames: names)
    }
}
