/// What applying a push did, file by file.
public struct PushResult: Hashable, Sendable {
    /// What happened to one path.
    public enum Change: String, Hashable, Sendable {
        case created, patched, deleted, modeChanged, linked, directoryCreated
    }

    /// One path's change.
    public struct Entry: Hashable, Sendable {
        /// The path.
        public var path: String
        /// What happened to it.
        public var change: Change
        /// Bytes of file content written (the rebuilt file's size), 0 for other changes.
        public var bytesWritten: Int
    }

    /// Every change, in the bundle's order.
    public var entries: [Entry] = []
    /// True when nothing was made visible because the push was a dry run.
    public var dryRun = false

    /// Total bytes of file content written.
    public var bytesWritten: Int { entries.reduce(0) { $0 + $1.bytesWritten } }
    /// The changed paths, for restart rules.
    public var paths: [String] { entries.map(\.path) }
}
