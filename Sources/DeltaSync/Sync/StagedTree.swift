import Glibc

/// The app tree as it will be once a checked bundle is committed: staged content for the paths the bundle
/// writes, the tree on disk for the rest.
///
/// ``BundleApplier/apply(_:dryRun:beforeCommit:)`` hands one to its caller between checking and committing,
/// so content the push brings (a config file, say) can be vetted before anything in the tree changes.
public struct StagedTree: Sendable {
    let root: String
    let staging: String
    /// What each path the bundle touches will be.
    let overlay: [PathKey: EntryState]
    /// The staged name of each file the bundle writes, inside `staging`.
    let stagedNames: [PathKey: String]

    /// The bytes the regular file at `path` will hold after the push, or nil when there will be none.
    ///
    /// Meant for files at the app root or under directories the bundle leaves alone: `path` itself is looked up
    /// in the bundle, its parents are not.
    /// - Throws: ``DeltaSyncError/Code/invalidArgument`` when `path` will be a directory or a symlink,
    ///   ``DeltaSyncError/Code/limitExceeded`` when it is larger than `limit` bytes, and I/O errors.
    public func contents(of path: String, limit: Int = 1 << 20) throws(DeltaSyncError) -> [UInt8]? {
        let location: String
        switch overlay[PathKey(path)] {
        case .absent?:
            return nil
        case .file?:
            guard let staged = stagedNames[PathKey(path)] else { return nil }
            location = staging + "/" + staged
        case .directory?:
            throw Self.notAFile(path, "a directory")
        case .symlink?:
            throw Self.notAFile(path, "a symlink")
        case nil:
            location = root + "/" + path
        }
        guard let status = try SystemCall.lstatIfPresent(location) else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw Self.notAFile(path, "a directory")
        case S_IFLNK: throw Self.notAFile(path, "a symlink")
        default: throw Self.notAFile(path, "a special file")
        }
        guard Int(status.st_size) <= limit else {
            throw DeltaSyncError(
                .limitExceeded,
                "\(RelativePath.quoted(path)) is \(status.st_size) bytes, more than the \(limit) allowed")
        }
        return try FileTree.read(location)
    }

    private static func notAFile(_ path: String, _ what: String) -> DeltaSyncError {
        DeltaSyncError(.invalidArgument, "\(RelativePath.quoted(path)) is \(what); it must be a regular file")
    }
}
