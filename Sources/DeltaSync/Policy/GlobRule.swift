/// A rule that applies one effect to the files matching gitignore-style patterns.
///
/// Patterns use the same engine and syntax as `.cfignore`, so users need learn only one: `*`, `?`, `[...]`,
/// `**/` for any directories, a `/` at the start or in the middle to anchor the pattern at the app root
/// (`/Gemfile` matches only the root one, `Gemfile` any), a trailing `/` to match everything under a directory,
/// and `!` to exclude what an earlier pattern of the same rule matched (the last matching pattern decides).
/// As in `.cfignore`, a file under a matched directory cannot be excluded again: write `templates/**` rather
/// than `templates/` if a later `!*.md` should apply. Lines git ignores, such as blanks and `#` comments,
/// match nothing.
public struct GlobRule: RestartRule {
    /// The patterns, one per element, in order.
    public let patterns: [String]
    /// What a matching file needs.
    public let effect: RuleEffect
    /// The compiled patterns: the existing `.cfignore` matcher, without the cf CLI's built-in names.
    private let matcher: IgnoreRules

    /// A rule applying `effect` to files that match any of `patterns` (subject to `!` patterns).
    public init(_ patterns: [String], effect: RuleEffect) {
        self.patterns = patterns
        self.effect = effect
        // One pattern per element: a newline inside an element would otherwise start a new pattern.
        let lines = patterns.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: true) }
        matcher = IgnoreRules(cfignore: lines.joined(separator: "\n"), includeDefaults: false)
    }

    /// A rule applying `effect` to files that match `pattern`.
    public init(_ pattern: String, effect: RuleEffect) {
        self.init([pattern], effect: effect)
    }

    /// Whether `path` (relative to the app root) matches, by the same rules as ``IgnoreRules/isIgnored(_:isDirectory:)``.
    public func matches(_ path: String) -> Bool {
        matcher.isIgnored(Self.normalized(path), isDirectory: false)
    }

    public func evaluate(_ change: PathChange) -> RuleEffect? {
        matches(change.path) ? effect : nil
    }

    /// The patterns, separated by spaces: `*.js *.mjs`.
    public var description: String { patterns.joined(separator: " ") }

    /// Drops a leading `./` or `/` so that paths from other tools still match anchored patterns.
    private static func normalized(_ path: String) -> String {
        var path = Substring(path)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        while path.hasPrefix("/") { path = path.dropFirst() }
        return String(path)
    }
}
