import Glibc

/// One step of committing a push, with what it takes to undo it.
///
/// Steps are recorded in a journal before the first one runs; undoing is written so that it is safe
/// whether or not the step ran (or ran halfway), so an interrupted commit can be rolled back after a crash.
enum CommitAction: Hashable, Sendable {
    /// Move a staged file or link to `path`; an existing one is first hard-linked to `backup`.
    case place(path: String, staged: String, backup: String?)
    /// Move `path` (file, link or empty directory) aside to `backup`.
    case remove(path: String, backup: String)
    /// Create a directory.
    case makeDirectory(path: String, mode: UInt32)
    /// Change a file's permission bits.
    case changeMode(path: String, from: UInt32, to: UInt32)

    /// The app path this step changes.
    var path: String {
        switch self {
        case .place(let path, _, _), .remove(let path, _), .makeDirectory(let path, _), .changeMode(let path, _, _): path
        }
    }

    func perform(root: String, staging: String) throws(DeltaSyncError) {
        let target = root + "/" + path
        switch self {
        case .place(_, let staged, let backup):
            if let backup {
                _ = try SystemCall.retrying("back up", target) { link(target, staging + "/" + backup) }
            }
            try SystemCall.rename(staging + "/" + staged, target)
        case .remove(_, let backup):
            try SystemCall.rename(target, staging + "/" + backup)
        case .makeDirectory(_, let mode):
            _ = try SystemCall.retrying("create the directory", target) { mkdir(target, mode_t(mode)) }
            _ = try SystemCall.retrying("set the mode of", target) { chmod(target, mode_t(mode)) }
        case .changeMode(_, _, let mode):
            _ = try SystemCall.retrying("set the mode of", target) { chmod(target, mode_t(mode)) }
        }
    }

    /// Restores what was there before this step, whether the step ran fully, partly or not at all.
    func undo(root: String, staging: String) {
        let target = root + "/" + path
        func exists(_ path: String) -> Bool { (try? SystemCall.lstatIfPresent(path)) != nil }
        switch self {
        case .place(_, let staged, let backup):
            if let backup, exists(staging + "/" + backup) {
                _ = try? SystemCall.rename(staging + "/" + backup, target)
            } else if backup == nil && !exists(staging + "/" + staged) {
                SystemCall.unlink(target)
            }
        case .remove(_, let backup):
            if exists(staging + "/" + backup) { _ = try? SystemCall.rename(staging + "/" + backup, target) }
        case .makeDirectory:
            _ = rmdir(target)
        case .changeMode(_, let mode, _):
            _ = chmod(target, mode_t(mode))
        }
    }
}

/// The list of steps of a commit, written to the staging directory before the first step runs.
struct CommitJournal {
    static let magic: [UInt8] = Array("FPJN".utf8)
    static let version: UInt8 = 1
    static let fileName = "journal"

    var actions: [CommitAction]

    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes(Self.magic)
        writer.byte(Self.version)
        writer.varint(actions.count)
        for action in actions {
            switch action {
            case .place(let path, let staged, let backup):
                writer.byte(1)
                writer.lengthPrefixed(Array(path.utf8))
                writer.lengthPrefixed(Array(staged.utf8))
                writer.lengthPrefixed(Array((backup ?? "").utf8))
            case .remove(let path, let backup):
                writer.byte(2)
                writer.lengthPrefixed(Array(path.utf8))
                writer.lengthPrefixed(Array(backup.utf8))
            case .makeDirectory(let path, let mode):
                writer.byte(3)
                writer.lengthPrefixed(Array(path.utf8))
                writer.varint(UInt64(mode))
            case .changeMode(let path, let from, let to):
                writer.byte(4)
                writer.lengthPrefixed(Array(path.utf8))
                writer.varint(UInt64(from))
                writer.varint(UInt64(to))
            }
        }
        return writer.bytes
    }

    init(actions: [CommitAction]) { self.actions = actions }

    init(decoding bytes: [UInt8]) throws(DeltaSyncError) {
        var reader = ByteReader(MemorySource(bytes), what: "push journal")
        try reader.header(magic: Self.magic, version: Self.version, hint: "remove the staging directory by hand")
        let count = try reader.count("step count", limit: 10_000_000)
        var actions: [CommitAction] = []
        func text(_ field: String) throws(DeltaSyncError) -> String {
            let bytes = try reader.lengthPrefixed(field, limit: RelativePath.maximumLength)
            let value = String(decoding: bytes, as: UTF8.self)
            if !value.isEmpty { try RelativePath.validate(value) }
            return value
        }
        for _ in 0..<count {
            switch try reader.byte("step") {
            case 1:
                let path = try text("path")
                let staged = try text("staged name")
                let backup = try text("backup name")
                actions.append(.place(path: path, staged: staged, backup: backup.isEmpty ? nil : backup))
            case 2:
                let path = try text("path")
                actions.append(.remove(path: path, backup: try text("backup name")))
            case 3:
                let path = try text("path")
                actions.append(.makeDirectory(path: path, mode: UInt32(try reader.count("mode", limit: 0o7777))))
            case 4:
                let path = try text("path")
                let from = UInt32(try reader.count("mode", limit: 0o7777))
                actions.append(.changeMode(path: path, from: from, to: UInt32(try reader.count("mode", limit: 0o7777))))
            default:
                throw reader.corrupt("unknown step")
            }
        }
        self.actions = actions
    }
}
