import Dispatch
import Glibc
import Synchronization

/// Scans a directory tree into a ``Manifest``: walks it with `lstat` (symlinks are recorded, never
/// followed), applies ``IgnoreRules`` while walking (an ignored directory is not entered), and hashes
/// the files whose ``StatCache`` entry does not vouch for them, on all cores.
///
/// Entries that cannot be pushed (sockets, devices, FIFOs, names that are not UTF-8, unreadable files and
/// directories) are left out and listed in ``ScanResult/skipped`` with the reason, rather than failing the scan.
public struct TreeScanner: Sendable {
    /// The tree's root directory.
    public let root: String
    /// What to leave out.
    public var ignoreRules: IgnoreRules
    /// Digests from earlier scans; updated by each scan.
    public var cache: StatCache<FileDigest>
    /// How many threads hash files (default: the number of online cores).
    public var hashingThreads: Int
    /// Which files a scan signs as it reads them; `nil`, the default, signs none.
    package var signing: Signing?

    /// Which of the files it reads a scan also signs, from the bytes hashing reads anyway
    /// (``ScanResult/signatures``), so that keeping their signatures costs no second read.
    package struct Signing: Sendable {
        /// Files smaller than this are not signed.
        package var minimumSize: Int
        /// The parameters of a file's signature, from its size.
        package var parameters: @Sendable (Int) -> SignatureParameters
        /// Whether content with this digest still needs a signature; `false` for one kept already. Asked of files
        /// that fit in one read, which are hashed before they are signed (larger ones are signed as they are read).
        package var isNeeded: @Sendable (FileDigest) -> Bool

        package init(
            minimumSize: Int, isNeeded: @escaping @Sendable (FileDigest) -> Bool = { _ in true },
            parameters: @escaping @Sendable (Int) -> SignatureParameters = SignatureParameters.forFile
        ) {
            self.minimumSize = minimumSize
            self.parameters = parameters
            self.isNeeded = isNeeded
        }
    }

    /// A scanner of `root` with the given rules (default: the root's `.cfignore` and the cf CLI defaults).
    public init(root: String, ignoreRules: IgnoreRules? = nil, cache: StatCache<FileDigest> = StatCache()) throws(DeltaSyncError) {
        self.root = root
        if let ignoreRules {
            self.ignoreRules = ignoreRules
        } else {
            self.ignoreRules = try IgnoreRules.load(root: root)
        }
        self.cache = cache
        hashingThreads = Parallel.processorCount
    }

    /// An entry a scan left out, and why.
    public struct SkippedEntry: Hashable, Sendable {
        /// The path, with bytes that are not UTF-8 replaced.
        public var path: String
        /// Why it was left out.
        public var reason: String
    }

    /// What a scan found.
    public struct ScanResult: Sendable {
        /// The tree's state.
        public var manifest: Manifest
        /// Entries left out, with reasons.
        public var skipped: [SkippedEntry]
        /// Files whose content was read and hashed.
        public var hashedFiles: Int
        /// Bytes read to hash them.
        public var hashedBytes: Int
        /// Files whose digest came from the cache.
        public var cachedFiles: Int
        /// The signatures of the files read that ``TreeScanner/signing`` asked for, by digest.
        package var signatures: [FileDigest: Signature] = [:]
    }

    /// Scans the tree now.
    public mutating func scan() throws(DeltaSyncError) -> ScanResult {
        let scanStart = SystemCall.now()
        var entries: [ManifestEntry] = []
        var identities: [StatCache<FileDigest>.Identity?] = []
        var skipped: [SkippedEntry] = []
        var pending: [Int] = []
        var cachedFiles = 0
        var unreadable = Set<Int>()
        /// Directories still to list, with the position of their own entry (none for the root).
        var directories: [(path: String, entry: Int?)] = [("", nil)]
        // The root itself may be a symlink (a user names it); entries inside it are never followed.
        let rootStatus = try SystemCall.statFollowingLinks(root)
        guard rootStatus.st_mode & S_IFMT == S_IFDIR else {
            throw DeltaSyncError(.invalidArgument, "\(root) is not a directory")
        }

        while let (directory, directoryEntry) = directories.popLast() {
            let absolute = directory.isEmpty ? root : root + "/" + directory
            let names: [[UInt8]]
            do throws(DeltaSyncError) {
                names = try SystemCall.directoryNames(absolute)
            } catch where directoryEntry != nil && (error.errno == EACCES || error.errno == ENOENT) {
                // Left out whole, as if absent: listed with none of its content, a client would delete it. Only
                // for a directory that cannot be read or is gone: a passing failure (no descriptor left, an I/O
                // error) fails the scan rather than making a directory look absent.
                unreadable.insert(directoryEntry!)
                if error.errno != ENOENT { skipped.append(SkippedEntry(path: directory, reason: Self.unreadable(error))) }
                continue
            }
            for rawName in names {
                guard let name = String(validating: rawName, as: UTF8.self) else {
                    let shown = RelativePath.join(directory, String(decoding: rawName, as: UTF8.self))
                    skipped.append(SkippedEntry(path: shown, reason: "its name is not valid UTF-8; rename it"))
                    continue
                }
                let path = RelativePath.join(directory, name)
                let status: stat
                do throws(DeltaSyncError) {
                    guard let found = try SystemCall.lstatIfPresent(absolute + "/" + name) else { continue }
                    status = found
                } catch where error.errno == EACCES && directoryEntry != nil {
                    // A directory that can be listed but not searched: none of its entries can be inspected.
                    unreadable.insert(directoryEntry!)
                    skipped.append(SkippedEntry(path: directory, reason: Self.unreadable(error)))
                    break
                } catch {
                    skipped.append(SkippedEntry(path: path, reason: Self.unreadable(error)))
                    continue
                }
                let type = status.st_mode & S_IFMT
                guard !ignoreRules.isIgnoredEntry(path, isDirectory: type == S_IFDIR) else { continue }
                guard path.utf8.count <= RelativePath.maximumLength, name.utf8.count <= RelativePath.maximumComponentLength else {
                    skipped.append(SkippedEntry(path: path, reason: "its path is too long"))
                    continue
                }
                let mode = UInt32(status.st_mode & 0o7777)
                let modified = SystemCall.nanoseconds(status.st_mtim)
                switch type {
                case S_IFDIR:
                    entries.append(ManifestEntry(path: path, kind: .directory, mode: mode, modificationTime: modified))
                    identities.append(nil)
                    directories.append((path, entries.count - 1))
                case S_IFLNK:
                    let target = try SystemCall.readlink(absolute + "/" + name)
                    guard let text = String(validating: target, as: UTF8.self) else {
                        skipped.append(SkippedEntry(path: path, reason: "its link target is not valid UTF-8"))
                        continue
                    }
                    entries.append(
                        ManifestEntry(
                            path: path, kind: .symlink, size: target.count, mode: mode, modificationTime: modified,
                            symlinkTarget: text))
                    identities.append(nil)
                case S_IFREG:
                    let identity = StatCache<FileDigest>.Identity(status)
                    let cached = cache.digest(for: path, identity: identity)
                    if cached != nil { cachedFiles += 1 } else { pending.append(entries.count) }
                    entries.append(
                        ManifestEntry(
                            path: path, kind: .file, size: identity.size, mode: mode, modificationTime: modified,
                            digest: cached))
                    identities.append(identity)
                default:
                    skipped.append(SkippedEntry(path: path, reason: "it is not a regular file, directory or symlink"))
                }
            }
        }

        let hashed = hashInParallel(pending.map { root + "/" + entries[$0].path })
        var hashedBytes = 0
        var unhashed = 0
        var signatures: [FileDigest: Signature] = [:]
        for (slot, position) in pending.enumerated() {
            switch hashed[slot] {
            case .success(let (digest, size, signature)):
                entries[position].digest = digest
                entries[position].size = size
                hashedBytes += size
                if let signature { signatures[digest] = signature }
            case .failure(let error):
                unreadable.insert(position)
                unhashed += 1
                if error.errno != ENOENT {  // a file deleted during the scan is simply gone
                    skipped.append(SkippedEntry(path: entries[position].path, reason: error.message))
                }
            }
        }
        var kept: [ManifestEntry] = []
        var keptPaths = Set<PathKey>()
        for (position, entry) in entries.enumerated() where !unreadable.contains(position) {
            kept.append(entry)
            if let identity = identities[position], let digest = entry.digest {
                cache.remember(entry.path, identity: identity, digest: digest, scanStart: scanStart)
                keptPaths.insert(PathKey(entry.path))
            }
        }
        cache.keepOnly(keptPaths)
        return ScanResult(
            manifest: try Manifest(entries: kept), skipped: skipped, hashedFiles: pending.count - unhashed,
            hashedBytes: hashedBytes, cachedFiles: cachedFiles, signatures: signatures)
    }

    /// Why an entry the scan could not inspect or list is left out, and what to do about it.
    private static func unreadable(_ error: DeltaSyncError) -> String {
        let reason = error.errno.map { String(cString: strerror($0)) } ?? error.message
        return "it cannot be read (\(reason)); make it readable (chmod u+rx) to include it"
    }

    /// What hashing one file yields: its digest, the bytes read, and its signature when one was asked for.
    private typealias Hashed = (digest: FileDigest, size: Int, signature: Signature?)

    /// Hashes `paths` on ``hashingThreads`` threads; each thread takes the next file when it finishes one,
    /// so one large file does not hold up the rest. Each thread reads through one buffer of its own.
    private func hashInParallel(_ paths: [String]) -> [Result<Hashed, DeltaSyncError>] {
        let results = UnsafeMutableBufferPointer<Result<Hashed, DeltaSyncError>>.allocate(capacity: paths.count)
        defer { results.deallocate() }
        let next = WorkCounter()
        let threads = min(hashingThreads, max(1, paths.count))
        let signing = self.signing
        nonisolated(unsafe) let output = results
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 64)
            defer { buffer.deallocate() }
            while true {
                let index = next.take()
                guard index < paths.count else { return }
                let result = Result { () throws(DeltaSyncError) -> Hashed in
                    try Self.hash(paths[index], through: buffer, signing: signing)
                }
                (output.baseAddress! + index).initialize(to: result)
            }
        }
        let collected = Array(results)
        _ = results.deinitialize()
        return collected
    }

    /// Bytes a hashing thread reads at once.
    private static let readSize = 1 << 20

    /// Hashes the file at `path`, reading it through `buffer`, and signs it as `signing` asks: a file that fits in
    /// the buffer once its digest says its signature is needed, from the bytes still in the buffer; a larger one as
    /// it is read, since its bytes are gone by the time its digest is known.
    private static func hash(
        _ path: String, through buffer: UnsafeMutableRawBufferPointer, signing: Signing?
    ) throws(DeltaSyncError) -> Hashed {
        var reader = try FileReader(path: path)
        let signs = signing.map { reader.count >= $0.minimumSize } ?? false
        let fits = reader.count <= buffer.count
        var builder =
            signs && !fits
            ? SignatureBuilder(parameters: signing!.parameters(reader.count), expectedSize: reader.count) : nil
        var hasher = FileDigest.Hasher()
        var reads = 0
        let size = try reader.readAll(through: buffer) { piece in
            hasher.update(piece)
            builder?.update(piece)
            reads += 1
        }
        let digest = hasher.finalize()
        // Read in one piece, the whole content is still in the buffer; a file that grew while it was read is left
        // unsigned (whoever needs its signature reads it again).
        if signs, fits, reads <= 1, signing!.isNeeded(digest) {
            builder = SignatureBuilder(parameters: signing!.parameters(size), expectedSize: size)
            builder!.update(UnsafeRawBufferPointer(rebasing: buffer[..<size]))
        }
        return (digest, size, builder?.finalize(fileDigest: digest))
    }
}
