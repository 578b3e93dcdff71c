import DeltaSync
import Glibc
import Synchronization

/// The client's signature store on disk (docs/FORMAT.md, "Signature store"): one file shared by every app and
/// controller, read whole on first use, and grown by one append per ``add(_:inUse:now:)``.
///
/// Two fastpush processes may write at once (a `--watch` loop and a manual push, or the instances of one push).
/// A reader holds a shared `flock` on the file while it reads it; a writer holds an exclusive one while it catches
/// up with what others appended since it read the file (it reads just those bytes), then appends its records in
/// one write or replaces the whole file. A replacement is a new file renamed over the old one, so a writer that
/// opened the old one before finds, once it holds the lock, that the path names another file, and opens that.
///
/// The store keeps an index of the file's records, not their bytes: a signature is read from the file (with `pread`,
/// through a descriptor kept open on the version indexed) when it is asked for, so a store of tens of megabytes
/// costs a few of memory.
///
/// The file is replaced rather than appended to when it is damaged (a torn or corrupt record: the records before
/// it are kept, nothing after it is trusted) or when the append would take it past ``capacity`` (the most recently
/// used entries that fill three quarters of it are kept). Nothing is flushed to disk: the store is a hint, and a
/// signature it lacks costs one more request.
final class SignatureStoreFile: Sendable {
    /// Where the file is.
    let path: String
    /// The size in bytes the file may reach.
    let capacity: Int
    private let state = Mutex(State())

    /// What this process knows of the file.
    private struct State: Sendable {
        var store = SignatureStore()
        /// Whether the file was read yet.
        var loaded = false
        /// The file as it was when last read or written: the store holds exactly its records. `nil` when there
        /// was none, or it could not be read.
        var file: FileState?
        /// What was wrong with the file when it was last read, if anything.
        var damage: DeltaSyncError?
        /// A descriptor of the file the index points into; closed when another replaces it.
        var reader: Int32?

        /// Reads the index's records through `descriptor` from now on.
        mutating func read(through descriptor: Int32?) {
            if let reader { SystemCall.close(reader) }
            reader = descriptor
            store.readFile = descriptor.map(Self.reading)
        }

        /// Reads `count` bytes at an offset of the file open as `descriptor`; `nil` when they are not all there.
        private static func reading(_ descriptor: Int32) -> SignatureStore.FileReading {
            { offset, count in
                var bytes = [UInt8](repeating: 0, count: count)
                let read = bytes.withUnsafeMutableBytes { (buffer) -> Int in
                    (try? SystemCall.pread(descriptor, buffer, offset: offset, path: "the signature store")) ?? -1
                }
                return read == count ? bytes : nil
            }
        }
    }

    /// One version of the file: which file the path named, and how long it was.
    private struct FileState: Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int

        init(device: UInt64, inode: UInt64, size: Int) {
            (self.device, self.inode, self.size) = (device, inode, size)
        }

        init(_ status: stat) {
            self.init(device: UInt64(status.st_dev), inode: UInt64(status.st_ino), size: Int(status.st_size))
        }

        func isSameFile(as other: FileState) -> Bool { device == other.device && inode == other.inode }
    }

    init(path: String, capacity: Int) {
        self.path = path
        self.capacity = capacity
    }

    deinit {
        state.withLock { $0.read(through: nil) }
    }

    /// Whether a signature of the content whose XXH3-128 is `digest` is stored.
    func contains(_ digest: FileDigest) -> Bool {
        state.withLock { state in
            load(&state)
            return state.store.contains(digest)
        }
    }

    /// The stored signature of the content whose XXH3-128 is `digest`: `nil` when there is none, or when what is
    /// stored is not intact and for that content (never used as a basis then).
    func signature(for digest: FileDigest) -> Signature? {
        state.withLock { state in
            load(&state)
            return state.store.signature(for: digest)
        }
    }

    /// Adds `signatures` that the store does not hold yet, stamped as used at `now` (seconds since 1970), in one
    /// append; a damaged file is rebuilt and a full one compacted, keeping the entries in `inUse` (content a server
    /// holds now) before all others.
    func add(_ signatures: [Signature], inUse: Set<FileDigest> = [], now: UInt64) throws(DeltaSyncError) {
        try state.withLock { (state) throws(DeltaSyncError) in
            load(&state)
            guard !signatures.isEmpty || state.damage != nil else { return }
            let descriptor = try openLocked()
            defer { SystemCall.close(descriptor) }
            let current = FileState(try SystemCall.fstat(descriptor, path: path))
            try catchUp(&state, with: current, descriptor: descriptor)

            var appended: [UInt8] = current.size == 0 ? SignatureStore.header : []
            for signature in signatures where state.store.signature(for: signature.fileDigest) == nil {
                let entry = state.store.insert(signature, lastUsed: now)
                appended += SignatureStore.record(entry, digest: signature.fileDigest)
            }
            if state.damage == nil && current.size + appended.count <= capacity {
                try append(appended, to: descriptor, at: current.size)
                state.file = FileState(
                    device: current.device, inode: current.inode, size: current.size + appended.count)
            } else {
                state.store.evict(toFit: state.damage == nil ? capacity / 4 * 3 : capacity, inUse: inUse, now: now)
                let bytes = state.store.encoded()
                let writer = try AtomicFileWriter(path: path, durable: false)
                try bytes.withBytes { (buffer) throws(DeltaSyncError) in try writer.write(buffer) }
                try writer.commit()
                // Still under the lock of the file just replaced: writers that wait for it will find the new one, and
                // what they append to it comes after the records indexed here.
                let replacement = try SystemCall.open(path, O_RDONLY)
                var written = FileState(try SystemCall.fstat(replacement, path: path))
                written.size = bytes.count
                state.store = SignatureStore()
                _ = state.store.indexRecords(bytes[SignatureStore.header.count...], at: SignatureStore.header.count, isEnd: true)
                state.read(through: replacement)
                state.file = written
                state.damage = nil
            }
        }
    }

    /// Reads the file the first time the store is needed. A file that cannot be read counts as damaged, so that
    /// the next ``add(_:inUse:now:)`` reads it again under its lock.
    private func load(_ state: inout State) {
        guard !state.loaded else { return }
        state.loaded = true
        let descriptor: Int32
        do throws(DeltaSyncError) {
            descriptor = try SystemCall.open(path, O_RDONLY)
        } catch {
            if error.errno != ENOENT { state.damage = error }
            return
        }
        do throws(DeltaSyncError) {
            try SystemCall.lock(descriptor, LOCK_SH, path: path)
            let file = FileState(try SystemCall.fstat(descriptor, path: path))
            try index(&state, descriptor: descriptor, size: file.size)
            state.file = file
            // The index points into this version of the file: it stays open for reading (without the lock).
            try? SystemCall.lock(descriptor, LOCK_UN, path: path)
            state.read(through: descriptor)
        } catch {
            SystemCall.close(descriptor)
            state.damage = error
        }
    }

    /// Indexes the whole file, `size` bytes, reading it a few megabytes at a time: the header, then each record.
    private func index(_ state: inout State, descriptor: Int32, size: Int) throws(DeltaSyncError) {
        state.store = SignatureStore()
        state.damage = nil
        let header = try read(descriptor, from: 0, to: min(size, SignatureStore.header.count))
        let (empty, damage) = SignatureStore.decoding(header)
        guard damage == nil, header.count == SignatureStore.header.count else {
            state.damage = damage
            return
        }
        state.store = empty
        var offset = header.count
        var piece = Self.indexPiece
        while offset < size {
            let wanted = min(size - offset, piece)
            let bytes = try read(descriptor, from: offset, to: offset + wanted)
            // The end of the file, or a short read: the file was cut short since its size was taken.
            let isEnd = offset + bytes.count >= size || bytes.count < wanted
            let (consumed, damage) = state.store.indexRecords(bytes[...], at: offset, isEnd: isEnd)
            if let damage {
                state.damage = damage
                return
            }
            offset += consumed
            if isEnd { return }
            // A record longer than the piece: read one that holds it.
            piece = consumed == 0 ? max(piece * 2, SignatureStore.recordLength(at: bytes[...]) ?? 0) : Self.indexPiece
        }
    }

    /// The bytes of the file indexed at a time.
    private static let indexPiece = 4 << 20

    /// Brings `state` up to date with the file as it is now (`current`, locked): only the bytes appended since it
    /// was read when it is the same, intact file; the whole file otherwise.
    private func catchUp(_ state: inout State, with current: FileState, descriptor: Int32) throws(DeltaSyncError) {
        if state.damage == nil, state.reader != nil, let known = state.file, known.isSameFile(as: current),
            known.size <= current.size
        {
            if known.size < current.size {
                let tail = try read(descriptor, from: known.size, to: current.size)
                state.damage = state.store.indexRecords(tail[...], at: known.size, isEnd: true).damage
            }
        } else {
            try index(&state, descriptor: descriptor, size: current.size)
            // A descriptor of its own (a duplicate would share, and so keep, the exclusive lock); under that lock the
            // path still names the locked file.
            state.read(through: try SystemCall.open(path, O_RDONLY))
        }
        state.file = current
    }

    /// Opens the file for appending (creating it and its folder when missing) with an exclusive lock; when the
    /// path names another file once the lock is held (another writer replaced it meanwhile), opens that one.
    private func openLocked() throws(DeltaSyncError) -> Int32 {
        try FileTree.makeDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]))
        while true {
            let descriptor = try SystemCall.open(path, O_RDWR | O_CREAT | O_APPEND, mode: 0o644)
            do throws(DeltaSyncError) {
                try SystemCall.lock(descriptor, LOCK_EX, path: path)
                let opened = FileState(try SystemCall.fstat(descriptor, path: path))
                if let named = try SystemCall.lstatIfPresent(path), FileState(named).isSameFile(as: opened) {
                    return descriptor
                }
            } catch {
                SystemCall.close(descriptor)
                throw error
            }
            SystemCall.close(descriptor)
        }
    }

    /// Appends `bytes` in one write; if that fails halfway, cuts the file back to `size`, so that no torn record
    /// is left for the next reader.
    private func append(_ bytes: [UInt8], to descriptor: Int32, at size: Int) throws(DeltaSyncError) {
        guard !bytes.isEmpty else { return }
        do throws(DeltaSyncError) {
            try bytes.withBytes { (buffer) throws(DeltaSyncError) in
                try SystemCall.writeAll(descriptor, buffer, path: path)
            }
        } catch {
            try? SystemCall.ftruncate(descriptor, size: size, path: path)
            throw error
        }
    }

    /// The bytes of the file from `start` to `end`, or fewer if it ends before.
    private func read(_ descriptor: Int32, from start: Int, to end: Int) throws(DeltaSyncError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: end - start)
        let count = try bytes.withMutableBytes { (buffer) throws(DeltaSyncError) -> Int in
            var done = 0
            while done < buffer.count {
                let count = try SystemCall.pread(
                    descriptor, UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), offset: start + done,
                    path: path)
                if count == 0 { break }
                done += count
            }
            return done
        }
        bytes.removeSubrange(count...)
        return bytes
    }
}
