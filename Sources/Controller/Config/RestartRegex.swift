import DeltaSync

/// The legacy restart rule: a pushed file restarts the backend when its path matches `RESTART_REGEX` and does
/// not match `IGNORE_REGEX`.
///
/// Both are searched anywhere in the path (an unanchored match, as Go's `regexp.MatchString` does), and an empty
/// pattern matches nothing. Patterns use Swift's `Regex` syntax, which covers the RE2 syntax these settings are
/// written in (classes, anchors, alternation, repetition); matching runs on Unicode scalars with ASCII-only
/// `\d`, `\w` and `\s`, as RE2 does.
///
/// The long-standing default, `^*.py$`, is a glob written where a regex belongs: as a regex it is invalid (a
/// repetition of nothing), and Go refused to compile it, so with that default no push ever restarted anything.
/// What it was meant to say is plain, so that exact string is read as "the path ends in `.py`". Any other invalid
/// pattern is a configuration error at start-up, not a silent "never restart".
struct RestartRegex: Sendable, Equatable {
    /// The default `restart_regex`, kept for compatibility; means "paths ending in `.py`".
    static let legacyDefault = "^*.py$"

    /// The restart pattern as configured.
    let restartPattern: String
    /// The ignore pattern as configured.
    let ignorePattern: String
    private let restart: Matcher?
    private let ignore: Matcher?

    /// A compiled pattern. The regex is only ever read after compilation, so sharing it between tasks is safe.
    private enum Matcher: @unchecked Sendable {
        case suffix(String)
        case regex(Regex<AnyRegexOutput>)

        func matches(_ path: String) -> Bool {
            switch self {
            case .suffix(let suffix): path.hasSuffix(suffix)
            case .regex(let regex): path.contains(regex)
            }
        }
    }

    /// Compiles both patterns.
    ///
    /// - Parameters:
    ///   - restart: The restart pattern; empty means no path restarts.
    ///   - ignore: The ignore pattern; empty means no path is exempted.
    ///   - restartSource: Where the restart pattern came from, for the error message.
    ///   - ignoreSource: Where the ignore pattern came from, for the error message.
    /// - Throws: ``ControllerError/Code/configuration`` naming the setting and the pattern when one does not
    ///   compile.
    init(
        restart: String, ignore: String, restartSource: String = "RESTART_REGEX",
        ignoreSource: String = "IGNORE_REGEX"
    ) throws(ControllerError) {
        restartPattern = restart
        ignorePattern = ignore
        self.restart = try Self.compile(restart, source: restartSource)
        self.ignore = try Self.compile(ignore, source: ignoreSource)
    }

    /// Whether writing `path` (relative to the app root, '/'-separated) calls for a backend restart.
    func needsRestart(path: String) -> Bool {
        !isIgnored(path: path) && matchesRestart(path: path)
    }

    /// Whether `path` matches the ignore pattern, which wins over the restart pattern.
    func isIgnored(path: String) -> Bool {
        ignore?.matches(path) ?? false
    }

    /// Whether `path` matches the restart pattern, ignore pattern aside.
    func matchesRestart(path: String) -> Bool {
        restart?.matches(path) ?? false
    }

    /// Two rules are equal when their patterns are: the compiled form follows from them.
    static func == (lhs: RestartRegex, rhs: RestartRegex) -> Bool {
        lhs.restartPattern == rhs.restartPattern && lhs.ignorePattern == rhs.ignorePattern
    }

    private static func compile(_ pattern: String, source: String) throws(ControllerError) -> Matcher? {
        if pattern.isEmpty { return nil }
        if pattern == legacyDefault { return .suffix(".py") }
        do {
            let regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
                .asciiOnlyDigits().asciiOnlyWhitespace().asciiOnlyWordCharacters()
            return .regex(regex)
        } catch {
            throw ControllerError(
                .configuration,
                "\(source) \(RelativePath.quoted(pattern)) is not a valid regular expression (\(error)); "
                    + "fix the pattern, or leave it empty to turn the rule off")
        }
    }
}
