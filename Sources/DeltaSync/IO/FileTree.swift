import Glibc

/// Small whole-file and directory operations shared by the command line and the tests.
package enum FileTree {
    /// A new private directory under `$TMPDIR` (or /tmp) whose name starts with `prefix`.
    package static func makeTemporaryDirectory(prefix: String) throws(DeltaSyncError) -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard created != nil else { throw SystemCall.failure("create a temporary directory in", base) }
        return String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    /// Removes `path` and everything under it; symlinks are removed, not followed. Missing is fine.
    package static func removeRecursively(_ path: String) throws(DeltaSyncError) {
        guard let status = try SystemCall.lstatIfPresent(path) else { return }
        if status.st_mode & S_IFMT == S_IFDIR {
            for name in try SystemCall.directoryNames(path) {
                try removeRecursively(path + "/" + String(decoding: name, as: UTF8.self))
            }
            _ = try SystemCall.retrying("remove", path) { rmdir(path) }
        } else {
            _ = try SystemCall.retrying("remove", path) { unlink(path) }
        }
    }

    /// Creates `path` and any missing parents; a directory another process creates meanwhile is fine.
    package static func makeDirectories(_ path: String, mode: UInt32 = 0o755) throws(DeltaSyncError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            guard try SystemCall.lstatIfPresent(current) == nil else { continue }
            while mkdir(current, mode_t(mode)) != 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EEXIST, let made = try SystemCall.lstatIfPresent(current), made.st_mode & S_IFMT == S_IFDIR {
                    break
                }
                throw SystemCall.failure("create the directory", current, code)
            }
        }
    }

    /// Writes `bytes` to `path` atomically and durably.
    package static func write(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o644) throws(DeltaSyncError) {
        let writer = try AtomicFileWriter(path: path, mode: mode)
        try bytes.withBytes { (buffer) throws(DeltaSyncError) in try writer.write(buffer) }
        try writer.commit()
    }

    /// The whole content of the file at `path`.
    package static func read(_ path: String) throws(DeltaSyncError) -> [UInt8] {
        let reader = try FileReader(path: path)
        var bytes = [UInt8](repeating: 0, count: reader.count)
        try bytes.withMutableBytes { (buffer) throws(DeltaSyncError) in try reader.read(at: 0, into: buffer) }
        return bytes
    }
}
