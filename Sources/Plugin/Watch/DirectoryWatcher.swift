import DeltaSync
import Dispatch
import Glibc

/// Tells when something under a directory changed: a recursive inotify watch whose new directories are
/// watched as they appear, and whose events count only for paths the ignore rules do not leave out.
///
/// When the system's inotify limits are exhausted (`max_user_watches`, `max_user_instances`), ``start(root:ignoreRules:)``
/// says so and falls back to scanning the tree once a second: slower to notice, but it works.
final class DirectoryWatcher: @unchecked Sendable {
    enum Mode: Equatable {
        case inotify
        /// Scanning, and why.
        case polling(String)
    }

    let root: String
    let ignoreRules: IgnoreRules
    private(set) var mode: Mode
    private var descriptor: Int32 = -1
    private var directories: [Int32: String] = [:]
    private var scanner: TreeScanner?
    private var lastRoot: FileDigest?

    /// Watches `root`; `watchLimit` pretends the system allows only that many watches (for tests).
    init(root: String, ignoreRules: IgnoreRules, watchLimit: Int? = nil) throws {
        self.root = root
        self.ignoreRules = ignoreRules
        mode = .inotify
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            try startPolling(because: "inotify is not available (\(String(cString: strerror(errno))))")
            return
        }
        do {
            try watchTree("", limit: watchLimit)
        } catch let error as WatchLimitReached {
            close(descriptor)
            descriptor = -1
            try startPolling(because: error.message)
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Waits up to `timeout` for a change that counts; true when one came.
    func waitForChange(timeout: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: self.blockingWait(timeout: timeout))
            }
        }
    }

    private func blockingWait(timeout: Duration) -> Bool {
        let milliseconds = Int32(timeout / .milliseconds(1))
        guard descriptor >= 0 else {
            usleep(UInt32(max(milliseconds, 0)) * 1000)
            return pollOnce()
        }
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&request, 1, milliseconds) > 0 else { return false }
        return drainEvents()
    }

    /// Reads every queued event; true when one concerns a path that is not ignored.
    private func drainEvents() -> Bool {
        var counted = false
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (watch, mask, length) = buffer.withUnsafeBytes { bytes in
                    let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameStart = offset + MemoryLayout<inotify_event>.size
                let nameBytes = buffer[nameStart..<min(nameStart + length, count)].prefix { $0 != 0 }
                offset = nameStart + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    counted = true  // events were lost: assume something changed
                    continue
                }
                guard let directory = directories[watch] else { continue }
                if mask & UInt32(IN_IGNORED) != 0 {
                    directories[watch] = nil
                    continue
                }
                let name = String(decoding: nameBytes, as: UTF8.self)
                let path = directory.isEmpty ? name : directory + "/" + name
                let isDirectory = mask & UInt32(IN_ISDIR) != 0
                if ignoreRules.isIgnored(path, isDirectory: isDirectory) { continue }
                counted = true
                if isDirectory && mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                    // A new directory: watch it, and count what it already holds (it may have filled up before the
                    // watch was in place).
                    try? watchTree(path, limit: nil)
                }
            }
        }
        return counted
    }

    private struct WatchLimitReached: Error {
        let message: String
    }

    /// Watches `relative` and every directory below it that the rules do not ignore.
    private func watchTree(_ relative: String, limit: Int?) throws {
        var pending = [relative]
        while let directory = pending.popLast() {
            if let limit, directories.count >= limit {
                throw WatchLimitReached(message: "the inotify watch limit (\(limit)) is reached")
            }
            let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
            let watch = inotify_add_watch(descriptor, directory.isEmpty ? root : root + "/" + directory, mask)
            if watch < 0 {
                if errno == ENOSPC || errno == EMFILE {
                    throw WatchLimitReached(
                        message: "the system's inotify watch limit is reached (raise it with `sysctl fs.inotify.max_user_watches=524288`)")
                }
                continue  // gone already, or not readable: nothing to watch
            }
            directories[watch] = directory
            for name in (try? SystemCall.directoryNames(directory.isEmpty ? root : root + "/" + directory)) ?? [] {
                let child = String(decoding: name, as: UTF8.self)
                let path = directory.isEmpty ? child : directory + "/" + child
                var info = stat()
                guard lstat(root + "/" + path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
                    !ignoreRules.isIgnored(path, isDirectory: true)
                else { continue }
                pending.append(path)
            }
        }
    }

    private func startPolling(because reason: String) throws {
        mode = .polling(reason)
        scanner = try TreeScanner(root: root, ignoreRules: ignoreRules)
        lastRoot = try scanner?.scan().manifest.rootDigest
    }

    /// One scan; true when the root digest moved.
    private func pollOnce() -> Bool {
        guard let digest = try? scanner?.scan().manifest.rootDigest else { return false }
        defer { lastRoot = digest }
        return digest != lastRoot
    }
}
