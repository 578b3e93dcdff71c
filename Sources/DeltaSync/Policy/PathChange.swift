/// One file that a push changed, as the restart policy sees it.
///
/// Rules judge changes, not file contents, so a policy can be decided before (or without) reading any file.
public struct PathChange: Sendable, Hashable, CustomStringConvertible {
    /// What happened to the file.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The file is new.
        case added
        /// The file's contents changed.
        case modified
        /// The file was removed.
        case deleted
        /// Only the file's permission bits changed.
        case mode
    }

    /// The `/`-separated path relative to the app root, with no leading or trailing `/` (e.g. `src/app.py`).
    public var path: String
    /// What happened to the file.
    public var kind: Kind

    /// A change to `path`; `kind` defaults to ``Kind/modified``, the common case.
    public init(_ path: String, _ kind: Kind = .modified) {
        self.path = path
        self.kind = kind
    }

    public var description: String { "\(path) (\(kind.rawValue))" }
}
