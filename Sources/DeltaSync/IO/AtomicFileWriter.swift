import Glibc

/// Writes a file so that readers see either the old version or the complete new one, never a mix.
///
/// Bytes go to a temporary file beside the target (same directory, so the final `rename` cannot cross
/// file systems). ``commit()`` sets the mode, flushes the data to disk, renames over the target and
/// flushes the directory. If the writer is dropped without a commit, or anything fails, the temporary
/// file is removed and the target is exactly as it was.
///
/// Blocks of zeros (whole, aligned file-system blocks) are not written but left as holes, the file getting its
/// final size on commit: a sparse file stays sparse, whether its zeros came from a sparse basis or from literals.
///
/// A writer that is not `durable` skips both flushes: still atomic for other processes, but a power cut
/// can lose the new file. That suits artifacts that are verified when read (signatures and deltas
/// carry digests) and can be made again.
public final class AtomicFileWriter: ByteSink {
    /// The file this writer will replace or create.
    public let path: String
    /// The permission bits the file gets on commit.
    public var mode: UInt32
    /// Whether ``commit()`` flushes data and directory to disk.
    public let durable: Bool
    private let temporaryPath: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    /// Bytes written so far (holes included): where the next byte goes.
    private var size = 0
    /// Whether a block of zeros was skipped, so that commit must give the file its size.
    private var leftHoles = false
    private var finished = false
    private static let bufferLimit = 256 * 1024
    /// The unit of holes: a block of zeros this large, at a multiple of it, is skipped rather than written.
    private static let holeBlock = 4096
    private static let zeros = [UInt8](repeating: 0, count: holeBlock)

    /// Starts writing a replacement for `path` that will have permission bits `mode`.
    public init(path: String, mode: UInt32 = 0o644, durable: Bool = true) throws(DeltaSyncError) {
        self.path = path
        self.mode = mode
        self.durable = durable
        // Not derived from the target's name: a 255-byte name plus a suffix would exceed NAME_MAX.
        temporaryPath = "\(Self.split(path).directory)/.fastpush-\(SystemCall.uniqueSuffix()).tmp"
        descriptor = try SystemCall.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        buffer.reserveCapacity(Self.bufferLimit)
    }

    deinit { discard() }

    /// Whether `name` is one of this writer's temporary files (`.fastpush-PID-NSEC-SERIAL.tmp`).
    package static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix(".fastpush-"), name.hasSuffix(".tmp") else { return false }
        let middle = name.dropFirst(".fastpush-".count).dropLast(".tmp".count)
        return !middle.isEmpty && middle.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-") }
    }

    /// Removes the temporary files that writers killed before their commit left under `root` (never following a
    /// symbolic link); returns how many. Call it only when no writer can be running there, such as at start-up.
    ///
    /// A directory below `root` that cannot be listed (no permission) is passed to `unreadable` with the error and
    /// left alone: no writer can have written there either, and one such directory must not stop the rest.
    package static func removeAbandoned(
        under root: String, unreadable: (_ directory: String, _ error: DeltaSyncError) -> Void = { _, _ in }
    ) throws(DeltaSyncError) -> Int {
        var removed = 0
        var pending = [root]
        while let directory = pending.popLast() {
            let names: [[UInt8]]
            do throws(DeltaSyncError) {
                names = try SystemCall.directoryNames(directory)
            } catch where directory != root {
                if error.errno != ENOENT { unreadable(directory, error) }
                continue
            }
            for bytes in names {
                let name = String(decoding: bytes, as: UTF8.self)
                let path = directory + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    pending.append(path)
                case S_IFREG where isTemporaryName(name):
                    if unlink(path) == 0 { removed += 1 }
                default:
                    continue
                }
            }
        }
        return removed
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(DeltaSyncError) {
        precondition(!finished, "write after commit or discard")
        if buffer.count + bytes.count > Self.bufferLimit { try flush() }
        if bytes.count >= Self.bufferLimit {
            try guarded { () throws(DeltaSyncError) in try writeSkippingZeros(bytes) }
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Makes the new content visible at ``path``, durably.
    public func commit() throws(DeltaSyncError) {
        precondition(!finished, "commit after commit or discard")
        try guarded { () throws(DeltaSyncError) in
            try flush()
            if leftHoles { try SystemCall.ftruncate(descriptor, size: size, path: temporaryPath) }
            try SystemCall.fchmod(descriptor, mode_t(mode), path: temporaryPath)
            if durable { try SystemCall.fsync(descriptor, path: temporaryPath) }
            try SystemCall.rename(temporaryPath, path)
        }
        SystemCall.close(descriptor)
        finished = true
        if durable { Self.syncDirectory(of: path) }
    }

    /// Abandons the new content: the temporary file is removed and the target is untouched.
    public func discard() {
        guard !finished else { return }
        finished = true
        SystemCall.close(descriptor)
        SystemCall.unlink(temporaryPath)
    }

    private func flush() throws(DeltaSyncError) {
        guard !buffer.isEmpty else { return }
        try guarded { () throws(DeltaSyncError) in
            try buffer.withBytes { (bytes) throws(DeltaSyncError) in try writeSkippingZeros(bytes) }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes `bytes` at ``size``, leaving every aligned block of zeros as a hole (a new file reads zeros there).
    private func writeSkippingZeros(_ bytes: UnsafeRawBufferPointer) throws(DeltaSyncError) {
        var start = 0  // the first byte not yet written or skipped
        var at = 0
        while at < bytes.count {
            let blockEnd = min(bytes.count, at + Self.holeBlock - (size + at) % Self.holeBlock)
            let isHole =
                blockEnd - at == Self.holeBlock
                && Self.zeros.withUnsafeBytes { memcmp(bytes.baseAddress! + at, $0.baseAddress!, Self.holeBlock) == 0 }
            if isHole {
                if start < at {
                    try SystemCall.pwriteAll(
                        descriptor, UnsafeRawBufferPointer(rebasing: bytes[start..<at]), offset: size + start,
                        path: temporaryPath)
                }
                start = blockEnd
                leftHoles = true
            }
            at = blockEnd
        }
        if start < bytes.count {
            try SystemCall.pwriteAll(
                descriptor, UnsafeRawBufferPointer(rebasing: bytes[start...]), offset: size + start, path: temporaryPath)
        }
        size += bytes.count
    }

    /// Runs `body`; on failure discards the temporary file before rethrowing, so no error leaves debris.
    private func guarded(_ body: () throws(DeltaSyncError) -> Void) throws(DeltaSyncError) {
        do throws(DeltaSyncError) { try body() } catch {
            discard()
            throw error
        }
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = path[..<slash]
        return (directory.isEmpty ? "/" : String(directory), String(path[path.index(after: slash)...]))
    }

    /// Makes a rename durable. A failure here cannot be undone and the data is already in place, so it
    /// is not reported: the new file is visible either way.
    static func syncDirectory(of path: String) {
        let directory = split(path).directory
        let descriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = Glibc.fsync(descriptor)
        Glibc.close(descriptor)
    }
}
