/// The kind of app in a directory, which decides the default restart rules.
public enum AppKind: Sendable, Hashable, CustomStringConvertible {
    /// How a Node app installs its dependencies.
    public enum NodePackageManager: String, Sendable, Hashable {
        /// `npm install`.
        case npm
        /// `yarn install`, chosen when the app has a `yarn.lock`.
        case yarn
    }

    /// A `Gemfile`.
    case ruby
    /// A `package.json`.
    case node(NodePackageManager)
    /// A `requirements.txt`, `Pipfile`, `pyproject.toml` or `*.py` file.
    case python
    /// A `composer.json` or `*.php` file.
    case php
    /// None of the above: files served as they are.
    case staticFiles

    /// Detects the kind from the names at the top of the app (files and directories alike).
    ///
    /// Kinds are tried in Cloud Foundry's buildpack order (Ruby, Node, Python, PHP, then static), so the
    /// result is the runtime `cf push` would pick: a Rails app with a `package.json` for its assets is Ruby,
    /// and a Node app with a helper `.py` script is Node.
    public init(topLevelNames names: some Collection<String>) {
        let names = Set(names)
        let hasSuffix = { (suffix: String) in names.contains { $0.hasSuffix(suffix) && $0 != suffix } }
        if names.contains("Gemfile") {
            self = .ruby
        } else if names.contains("package.json") {
            self = .node(names.contains("yarn.lock") ? .yarn : .npm)
        } else if !names.isDisjoint(with: ["requirements.txt", "Pipfile", "pyproject.toml"]) || hasSuffix(".py") {
            self = .python
        } else if names.contains("composer.json") || hasSuffix(".php") {
            self = .php
        } else {
            self = .staticFiles
        }
    }

    public var description: String {
        switch self {
        case .ruby: "Ruby"
        case .node(let manager): "Node (\(manager.rawValue))"
        case .python: "Python"
        case .php: "PHP"
        case .staticFiles: "static"
        }
    }
}
