package import Glibc
import Synchronization

/// Every system call DeltaSync makes, in one place: `EINTR` is retried and a failure becomes a
/// ``DeltaSyncError`` that names the operation and the path.
package enum SystemCall {
    package static func failure(_ operation: String, _ path: String, _ code: Int32 = Glibc.errno) -> DeltaSyncError {
        let reason = String(cString: strerror(code))
        return DeltaSyncError(.io, "cannot \(operation) \(path): \(reason)", errno: code)
    }

    /// Runs `body` until it stops failing with `EINTR`; throws on any other failure (a negative result).
    @inline(__always)
    package static func retrying<T: BinaryInteger>(_ operation: String, _ path: String, _ body: () -> T) throws(DeltaSyncError)
        -> T
    {
        while true {
            let result = body()
            if result >= 0 { return result }
            if Glibc.errno != EINTR { throw failure(operation, path) }
        }
    }

    package static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(DeltaSyncError) -> Int32 {
        try retrying("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    package static func close(_ fd: Int32) {
        // close must not be retried on EINTR on Linux: the descriptor is released either way.
        _ = Glibc.close(fd)
    }

    package static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws(DeltaSyncError) -> Int {
        try retrying("read", path) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    package static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, offset: Int, path: String)
        throws(DeltaSyncError) -> Int
    {
        try retrying("read", path) { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// Writes all of `bytes`, continuing after short writes.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(DeltaSyncError) {
        var offset = 0
        while offset < bytes.count {
            let written = try retrying("write", path) {
                Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            }
            offset += written
        }
    }

    /// Writes all of `bytes` at `offset`, continuing after short writes; the descriptor's position is not used.
    package static func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, offset: Int, path: String)
        throws(DeltaSyncError)
    {
        var done = 0
        while done < bytes.count {
            done += try retrying("write", path) {
                Glibc.pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
        }
    }

    package static func ftruncate(_ fd: Int32, size: Int, path: String) throws(DeltaSyncError) {
        _ = try retrying("set the size of", path) { Glibc.ftruncate(fd, off_t(size)) }
    }

    /// Flushes to disk everything written to the file system that holds `fd`, in one journal commit.
    package static func syncFileSystem(_ fd: Int32, path: String) throws(DeltaSyncError) {
        _ = try retrying("flush to disk the file system of", path) { linuxSyncfs(fd) }
    }

    package static func fsync(_ fd: Int32, path: String) throws(DeltaSyncError) {
        _ = try retrying("flush to disk", path) { Glibc.fsync(fd) }
    }

    package static func fchmod(_ fd: Int32, _ mode: mode_t, path: String) throws(DeltaSyncError) {
        _ = try retrying("set the mode of", path) { Glibc.fchmod(fd, mode) }
    }

    /// Waits for, and takes, an advisory lock on the whole file: `LOCK_SH` (shared with other readers) or
    /// `LOCK_EX` (exclusive). Closing the descriptor releases it.
    package static func lock(_ fd: Int32, _ operation: Int32, path: String) throws(DeltaSyncError) {
        _ = try retrying("lock", path) { linuxFlock(fd, operation) }
    }

    package static func fstat(_ fd: Int32, path: String) throws(DeltaSyncError) -> stat {
        var result = stat()
        _ = try retrying("inspect", path) { Glibc.fstat(fd, &result) }
        return result
    }

    /// `lstat`, or `nil` when nothing exists at `path`.
    package static func lstatIfPresent(_ path: String) throws(DeltaSyncError) -> stat? {
        var result = stat()
        while Glibc.lstat(path, &result) != 0 {
            let code = Glibc.errno
            if code == ENOENT || code == ENOTDIR { return nil }
            if code != EINTR { throw failure("inspect", path, code) }
        }
        return result
    }

    /// `lstat` of the entry `name` of the directory open as `directory`, or `nil` when nothing exists there: the
    /// kernel looks up one component rather than every component of a full path.
    package static func lstatIfPresent(
        _ name: UnsafePointer<CChar>, in directory: Int32
    ) throws(DeltaSyncError) -> stat? {
        var result = stat()
        while fstatat(directory, name, &result, AT_SYMLINK_NOFOLLOW) != 0 {
            let code = Glibc.errno
            if code == ENOENT || code == ENOTDIR { return nil }
            if code != EINTR { throw failure("inspect", String(cString: name), code) }
        }
        return result
    }

    /// `stat`, following symlinks: for paths a user names, such as a tree's root.
    package static func statFollowingLinks(_ path: String) throws(DeltaSyncError) -> Glibc.stat {
        var result = Glibc.stat()
        _ = try retrying("inspect", path) { fstatat(AT_FDCWD, path, &result, 0) }
        return result
    }

    package static func lstat(_ path: String) throws(DeltaSyncError) -> stat {
        guard let result = try lstatIfPresent(path) else { throw failure("inspect", path, ENOENT) }
        return result
    }

    package static func rename(_ from: String, _ to: String) throws(DeltaSyncError) {
        _ = try retrying("rename \(from) to", to) { Glibc.rename(from, to) }
    }

    package static func unlink(_ path: String) {
        _ = Glibc.unlink(path)
    }

    package static func readlink(_ path: String) throws(DeltaSyncError) -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let count = try retrying("read the link", path) {
                buffer.withUnsafeMutableBytes { Glibc.readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), capacity) }
            }
            if count < capacity { return Array(buffer[..<count]) }
            capacity *= 4
        }
    }

    /// The names in a directory, without `.` and `..`, as raw bytes (Linux names need not be UTF-8).
    package static func directoryNames(_ path: String) throws(DeltaSyncError) -> [[UInt8]] {
        guard let directory = Glibc.opendir(path) else { throw failure("list", path) }
        defer { Glibc.closedir(directory) }
        var names: [[UInt8]] = []
        while true {
            Glibc.errno = 0
            guard let entry = Glibc.readdir(directory) else {
                if Glibc.errno != 0 { throw failure("list", path) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
    }

    /// The bytes an unprivileged user may still write on the file system that holds `path`; `nil` when unknown.
    package static func availableBytes(on path: String) -> Int? {
        // Through a descriptor: in Swift the name `statvfs` is the structure, not the call.
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = statvfs()
        guard fstatvfs(descriptor, &info) == 0 else { return nil }
        let (bytes, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        return overflow ? Int.max : Int(clamping: bytes)
    }

    /// Whether `code` says the file system or the quota is full.
    package static func isOutOfSpace(_ code: Int32?) -> Bool { code == ENOSPC || code == EDQUOT }

    /// The real-time clock, in nanoseconds since 1970.
    package static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return nanoseconds(time)
    }

    /// A `timespec` (as `stat` reports times) in nanoseconds.
    package static func nanoseconds(_ time: timespec) -> Int64 {
        Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// A process-unique suffix for temporary names: pid, time and a counter.
    package static func uniqueSuffix() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let serial = temporaryCounter.wrappingAdd(1, ordering: .relaxed).newValue
        return "\(getpid())-\(now.tv_nsec)-\(serial)"
    }
}

private let temporaryCounter = Atomic<Int>(0)

/// `syncfs(2)`, which the Glibc module does not export (it is declared only under `_GNU_SOURCE`).
@_silgen_name("syncfs")
private func linuxSyncfs(_ descriptor: Int32) -> Int32

/// `flock(2)`: in Swift the name `flock` is the structure `fcntl` locks take, not the call.
@_silgen_name("flock")
private func linuxFlock(_ descriptor: Int32, _ operation: Int32) -> Int32
