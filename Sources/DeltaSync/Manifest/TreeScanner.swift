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
    public var ignoreRules: IgnoreRules {
        didSet { memory = nil }  // what the last scan left out may be in now, and the reverse
    }
    /// Digests from earlier scans; updated by each scan.
    public var cache: StatCache<FileDigest> {
        didSet { memory = nil }  // the entries the last scan vouches for must be the ones this cache holds
    }
    /// How many threads hash files (default: the number of online cores).
    public var hashingThreads: Int
    /// Which files a scan signs as it reads them; `nil`, the default, signs none.
    package var signing: Signing?
    /// What the last scan saw, for the next to reuse; `nil` before the first.
    var memory: ScanMemory?

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
        /// Whether the scan took everything from the last one: no entry changed and no directory was listed, so
        /// what it remembers is what the last scan remembered.
        package var reusedEverything = false
    }

    /// Scans the tree now.
    ///
    /// A scan after another costs about one `lstat` per entry when little changed: a directory whose identity is
    /// unchanged is not listed again, an entry whose identity is unchanged is taken from the last scan as it was,
    /// and the manifest is the last one with the changed entries replaced, its directory digests computed again
    /// only above them. The result is the manifest a first scan would build.
    public mutating func scan() throws(DeltaSyncError) -> ScanResult {
        let scanStart = SystemCall.now()
        // Taken out: a scan that fails leaves none, and the next starts afresh.
        let memory = self.memory
        self.memory = nil
        var entries: [ManifestEntry] = []
        /// For each entry: its identity, its position in the last scan's manifest, and whether it was taken from there
        /// unchanged.
        var found: [(identity: ScanMemory.Identity, previous: Int?, isReused: Bool)] = []
        /// The directories listed, with their identity, the entries kept from them and whether anything in them was
        /// left out.
        var listings: [(path: String, identity: ScanMemory.Identity, children: [Int], isWhole: Bool)] = []
        var skipped: [SkippedEntry] = []
        var pending: [Int] = []
        var cachedFiles = 0
        var unreadable = Set<Int>()
        var listedDirectories = 0
        // The root itself may be a symlink (a user names it); entries inside it are never followed.
        let rootStatus = try SystemCall.statFollowingLinks(root)
        guard rootStatus.st_mode & S_IFMT == S_IFDIR else {
            throw DeltaSyncError(.invalidArgument, "\(root) is not a directory")
        }
        // The children of every directory the last scan remembered, looked up ahead on all processors.
        let inspected = memory.map(inspectRemembered) ?? [:]
        /// Directories still to list, with the position of their own entry (none for the root) and their identity.
        var directories: [(path: String, entry: Int?, identity: ScanMemory.Identity)] = [
            ("", nil, ScanMemory.Identity(rootStatus))
        ]

        while let (directory, directoryEntry, directoryIdentity) = directories.popLast() {
            let absolute = directory.isEmpty ? root : root + "/" + directory
            // Each child with its `lstat` and where its path was in the last manifest; from the last scan's listing
            // when the directory did not change since, else from the directory.
            var children: [(path: String, status: stat, previous: Int?)] = []
            var isWhole = true
            if let memory, let listed = memory.listings[PathKey(directory)], listed.identity == directoryIdentity,
                let statuses = inspected[PathKey(directory)] ?? inspect(listed.children, of: memory, in: absolute)
            {
                for (child, status) in zip(listed.children, statuses) {
                    children.append((memory.manifest.entries[child].path, status, child))
                }
            } else {
                listedDirectories += 1
                let names: [[UInt8]]
                do throws(DeltaSyncError) {
                    names = try SystemCall.directoryNames(absolute)
                } catch where directoryEntry != nil && (error.errno == EACCES || error.errno == ENOENT) {
                    // Left out whole, as if absent: listed with none of its content, a client would delete it. Only
                    // for a directory that cannot be read or is gone: a passing failure (no descriptor left, an I/O
                    // error) fails the scan rather than making a directory look absent.
                    unreadable.insert(directoryEntry!)
                    if error.errno != ENOENT {
                        skipped.append(SkippedEntry(path: directory, reason: Self.unreadable(error)))
                    }
                    continue
                }
                for rawName in names {
                    guard let name = String(validating: rawName, as: UTF8.self) else {
                        let shown = RelativePath.join(directory, String(decoding: rawName, as: UTF8.self))
                        skipped.append(SkippedEntry(path: shown, reason: "its name is not valid UTF-8; rename it"))
                        isWhole = false
                        continue
                    }
                    let path = RelativePath.join(directory, name)
                    do throws(DeltaSyncError) {
                        guard let status = try SystemCall.lstatIfPresent(absolute + "/" + name) else { continue }
                        children.append((path, status, memory?.manifest.position(of: path)))
                    } catch where error.errno == EACCES && directoryEntry != nil {
                        // A directory that can be listed but not searched: none of its entries can be inspected.
                        unreadable.insert(directoryEntry!)
                        skipped.append(SkippedEntry(path: directory, reason: Self.unreadable(error)))
                        break
                    } catch {
                        skipped.append(SkippedEntry(path: path, reason: Self.unreadable(error)))
                        isWhole = false
                        continue
                    }
                }
                if let directoryEntry, unreadable.contains(directoryEntry) { continue }
            }
            let listing = listings.count
            listings.append((directory, directoryIdentity, [], isWhole))

            for (path, status, previous) in children {
                let identity = ScanMemory.Identity(status)
                if let memory, let previous, memory.identities[previous] == identity {
                    // Unchanged since the last scan, which vouched for it: its entry, digest and all, is still true.
                    let entry = memory.manifest.entries[previous]
                    entries.append(entry)
                    found.append((identity, previous, true))
                    listings[listing].children.append(entries.count - 1)
                    switch entry.kind {
                    case .directory: directories.append((path, entries.count - 1, identity))
                    case .file: cachedFiles += 1
                    case .symlink: break
                    }
                    continue
                }
                let type = status.st_mode & S_IFMT
                guard !ignoreRules.isIgnoredEntry(path, isDirectory: type == S_IFDIR) else { continue }
                let name = RelativePath.name(of: path)
                guard path.utf8.count <= RelativePath.maximumLength, name.utf8.count <= RelativePath.maximumComponentLength else {
                    skipped.append(SkippedEntry(path: path, reason: "its path is too long"))
                    listings[listing].isWhole = false
                    continue
                }
                let mode = UInt32(status.st_mode & 0o7777)
                let modified = SystemCall.nanoseconds(status.st_mtim)
                let entry: ManifestEntry
                switch type {
                case S_IFDIR:
                    entry = ManifestEntry(path: path, kind: .directory, mode: mode, modificationTime: modified)
                    directories.append((path, entries.count, identity))
                case S_IFLNK:
                    let target = try SystemCall.readlink(root + "/" + path)
                    guard let text = String(validating: target, as: UTF8.self) else {
                        skipped.append(SkippedEntry(path: path, reason: "its link target is not valid UTF-8"))
                        listings[listing].isWhole = false
                        continue
                    }
                    entry = ManifestEntry(
                        path: path, kind: .symlink, size: target.count, mode: mode, modificationTime: modified,
                        symlinkTarget: text)
                case S_IFREG:
                    let cached = cache.digest(for: path, identity: identity.status)
                    if cached != nil { cachedFiles += 1 } else { pending.append(entries.count) }
                    entry = ManifestEntry(
                        path: path, kind: .file, size: identity.status.size, mode: mode, modificationTime: modified,
                        digest: cached)
                default:
                    skipped.append(SkippedEntry(path: path, reason: "it is not a regular file, directory or symlink"))
                    listings[listing].isWhole = false
                    continue
                }
                entries.append(entry)
                found.append((identity, previous, false))
                listings[listing].children.append(entries.count - 1)
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

        // The stat cache learns the files read; those taken from the last scan are in it already, as it vouched
        // for them. It forgets files that are gone, which it holds if it holds more than the settled files kept.
        var settledFiles = 0
        for (position, entry) in entries.enumerated() where entry.kind == .file && !unreadable.contains(position) {
            let identity = found[position].identity
            if identity.isSettled(before: scanStart, racyInterval: cache.racyInterval) { settledFiles += 1 }
            if !found[position].isReused {
                cache.remember(entry.path, identity: identity.status, digest: entry.digest!, scanStart: scanStart)
            }
        }
        if cache.count != settledFiles {
            var keptPaths = Set<PathKey>()
            for (position, entry) in entries.enumerated() where entry.kind == .file && !unreadable.contains(position) {
                keptPaths.insert(PathKey(entry.path))
            }
            cache.keepOnly(keptPaths)
        }

        // The same paths as last time (each kept entry's path was in the last manifest, and as many are kept): the
        // last manifest with the changed entries replaced. Otherwise a manifest built afresh.
        let manifest: Manifest
        var positions: [Int?]
        var reusedEverything = false
        let kept = entries.indices.filter { !unreadable.contains($0) }
        if let memory, kept.count == memory.manifest.entries.count, kept.allSatisfy({ position in
            found[position].previous.map { previous in
                (entries[position].kind == .directory) == (memory.manifest.entries[previous].kind == .directory)
            } ?? false
        }) {
            // Every entry read again is a change: its fields may differ in bytes that `==` on strings calls equal.
            let changes = kept.filter { !found[$0].isReused }.map {
                (position: found[$0].previous!, entry: entries[$0])
            }
            manifest = try memory.manifest.replacing(changes)
            positions = found.map { $0.previous }
            reusedEverything = changes.isEmpty && listedDirectories == 0
        } else {
            manifest = try Manifest(entries: kept.map { entries[$0] })
            positions = entries.map { manifest.position(of: $0.path) }
        }
        for position in unreadable { positions[position] = nil }

        // What this scan vouches for: what had settled when it began.
        let racyInterval = cache.racyInterval
        var identities = [ScanMemory.Identity?](repeating: nil, count: manifest.entries.count)
        for (position, entry) in found.enumerated() {
            guard let kept = positions[position], entry.identity.isSettled(before: scanStart, racyInterval: racyInterval)
            else { continue }
            identities[kept] = entry.identity
        }
        var remembered: [PathKey: ScanMemory.Listing] = [:]
        for listing in listings
        where listing.isWhole && listing.identity.isSettled(before: scanStart, racyInterval: racyInterval) {
            let children = listing.children.compactMap { positions[$0] }
            guard children.count == listing.children.count else { continue }  // an entry of it was left out after all
            remembered[PathKey(listing.path)] = ScanMemory.Listing(identity: listing.identity, children: children)
        }
        self.memory = ScanMemory(manifest: manifest, identities: identities, listings: remembered)
        return ScanResult(
            manifest: manifest, skipped: skipped, hashedFiles: pending.count - unhashed,
            hashedBytes: hashedBytes, cachedFiles: cachedFiles, signatures: signatures, reusedEverything: reusedEverything)
    }

    /// The manifest of the last scan; `nil` before the first.
    package var lastManifest: Manifest? { memory?.manifest }

    /// The file form of what the last scan saw (docs/FORMAT.md, "Scan memory"), for a scanner of the same tree in
    /// another process, with its manifest's binary form (part of it); `nil` before a scan. `root` is the tree's
    /// absolute path, which the file names.
    package func encodedMemory(root: String) -> (bytes: [UInt8], manifest: [UInt8])? {
        memory?.encoded(root: root, ignoreRules: ignoreRules)
    }

    /// Takes up where the scan that wrote `bytes` (``encodedMemory(root:)``) stopped: its next scan reuses what did
    /// not change since, and its stat cache holds the files that scan vouched for. Returns that scan's manifest and
    /// the digest of its binary form. Throws, changing nothing, when the bytes are not an intact memory of the tree
    /// at `root` (its absolute path) under these ignore rules.
    package mutating func restoreMemory(
        from bytes: [UInt8], root: String
    ) throws(DeltaSyncError) -> (manifest: Manifest, manifestDigest: FileDigest) {
        let (restored, manifestDigest) = try ScanMemory.decoded(bytes, root: root, ignoreRules: ignoreRules)
        var cache = StatCache<FileDigest>()
        cache.racyInterval = self.cache.racyInterval
        cache.entries.reserveCapacity(restored.manifest.entries.count)
        for (entry, identity) in zip(restored.manifest.entries, restored.identities) where entry.kind == .file {
            if let identity { cache.entries[PathKey(entry.path)] = (identity.status, entry.digest!) }
        }
        self.cache = cache
        memory = restored  // after the cache, whose change forgets the memory
        return (restored.manifest, manifestDigest)
    }

    /// The `lstat` of each of a remembered listing's children, or `nil` if one is gone or is no longer of the kind
    /// it was: the directory (at `absolute`) changed after all, and is listed again. Each is looked up by its name
    /// in the open directory, which spares the kernel walking the whole path for every entry.
    private func inspect(_ children: [Int], of memory: ScanMemory, in absolute: String) -> [stat]? {
        guard let directory = try? SystemCall.open(absolute, O_RDONLY | O_DIRECTORY | O_CLOEXEC) else { return nil }
        defer { SystemCall.close(directory) }
        var statuses: [stat] = []
        statuses.reserveCapacity(children.count)
        for child in children {
            let path = memory.manifest.entries[child].path
            let nameStart = path.utf8.count - RelativePath.name(of: path).utf8.count
            let found = path.withCString { whole in try? SystemCall.lstatIfPresent(whole + nameStart, in: directory) }
            guard let found, Self.kind(of: found) == memory.manifest.entries[child].kind else { return nil }
            statuses.append(found)
        }
        return statuses
    }

    /// ``inspect(_:of:in:)`` of every listing the last scan remembered, on ``hashingThreads`` threads: one `lstat`
    /// per entry is most of what a scan after another costs. A directory the walk then finds changed is listed
    /// anyway; one it finds unchanged takes its children's `lstat` from here, each still compared with the identity
    /// the last scan saw, so a child changed since is read again.
    private func inspectRemembered(_ memory: ScanMemory) -> [PathKey: [stat]?] {
        let listings = Array(memory.listings)
        let statuses = Parallel.map(listings.count, threads: hashingThreads) { index in
            let (directory, listing) = listings[index]
            return inspect(listing.children, of: memory, in: directory.path.isEmpty ? root : root + "/" + directory.path)
        }
        return Dictionary(uniqueKeysWithValues: zip(listings.map(\.key), statuses))
    }

    /// The manifest kind of what `lstat` found, if it is one a manifest records.
    private static func kind(of status: stat) -> ManifestEntry.Kind? {
        switch status.st_mode & S_IFMT {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        default: nil
        }
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
