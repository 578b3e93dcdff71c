/// One change in a push bundle, with the state it expects to replace.
public enum PushOperation: Hashable, Sendable, CustomStringConvertible {
    /// Write a regular file: `delta` rebuilds it from the file now at `path` (when `expected` is a file)
    /// or from nothing (when `expected` is ``EntryState/absent``).
    case file(path: String, expected: EntryState, mode: UInt32, delta: [UInt8])
    /// Create a directory.
    case directory(path: String, mode: UInt32)
    /// Create or replace a symbolic link; its target must stay inside the app (checked on apply).
    case symlink(path: String, expected: EntryState, target: String)
    /// Remove a file, symlink or (empty, once the bundle's other removals are done) directory.
    case delete(path: String, expected: EntryState)
    /// Change the permission bits of a file that has the expected content.
    case mode(path: String, expected: EntryState, mode: UInt32)

    /// The path the operation changes.
    public var path: String {
        switch self {
        case .file(let path, _, _, _), .directory(let path, _), .symlink(let path, _, _), .delete(let path, _),
            .mode(let path, _, _):
            path
        }
    }

    /// What must be at ``path`` before the operation.
    public var expected: EntryState {
        switch self {
        case .file(_, let expected, _, _), .symlink(_, let expected, _), .delete(_, let expected),
            .mode(_, let expected, _):
            expected
        case .directory: .absent
        }
    }

    public var description: String {
        switch self {
        case .file(let path, let expected, _, let delta):
            "\(expected == .absent ? "create" : "patch") \(path) (\(delta.count) bytes of delta)"
        case .directory(let path, _): "create directory \(path)"
        case .symlink(let path, _, let target): "link \(path) -> \(target)"
        case .delete(let path, _): "delete \(path)"
        case .mode(let path, _, let mode): "chmod \(String(mode, radix: 8)) \(path)"
        }
    }
}
