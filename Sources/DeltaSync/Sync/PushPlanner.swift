/// Builds the push that brings a server's tree (known by its manifest) to a local tree's state.
///
/// Order matters and is fixed here: removals first, deepest paths first, so a directory is empty when
/// its turn comes; then new directories, parents first; then files, links and mode changes. A modified
/// file travels as a delta against the server's signature of it, or whole (as a delta from nothing, its
/// literals still deflated where that pays) when it has no signature or the whole form is no larger: a
/// push never sends a file in more bytes than the file whole.
public struct PushPlanner: Sendable {
    /// One planned change, for the developer's view of a push.
    public struct Item: Hashable, Sendable {
        /// What kind of change.
        public enum Change: String, Hashable, Sendable { case new, modified, deleted, mode }
        /// The path.
        public var path: String
        /// The entry's kind in the local tree (the removed one's, for deletions).
        public var kind: ManifestEntry.Kind
        /// What kind of change.
        public var change: Change
        /// How a file's content travels.
        public enum Form: String, Hashable, Sendable {
            /// As a delta against the server's current version: copies of its blocks and new bytes.
            case delta
            /// Whole: a delta from nothing, its bytes deflated where that pays.
            case whole
        }
        /// How the file's content travels; `nil` for changes that carry none (directories, links,
        /// deletions, mode changes).
        public var form: Form? = nil
        /// Bytes of content (the delta, in either form) this change adds to the bundle.
        public var sentBytes: Int
        /// The file's size, for comparison with a whole upload.
        public var fileSize: Int

        /// The bytes of content this change adds to the bundle.
        @available(*, deprecated, renamed: "sentBytes")
        public var deltaBytes: Int { sentBytes }
    }

    /// A planned push.
    public struct Plan: Sendable {
        /// The bundle to send.
        public var bundle: PushBundle
        /// One item per change, in bundle order.
        public var items: [Item]
    }

    /// The local tree's root, where new content is read from.
    public let localRoot: String

    /// A planner reading from `localRoot`.
    public init(localRoot: String) { self.localRoot = localRoot }

    /// Whether a bundle's files share a dictionary (``PushBundle/dictionary``).
    public enum Dictionary: Sendable {
        /// None: what every controller reads.
        case none
        /// One made from the files sent whole, when there are several and their text compresses.
        case automatic
        /// This one: a push completing a held push uses the held push's dictionary.
        case exactly([UInt8])
    }

    /// Plans the push from `remote` (the server's manifest) to `local`, using `signatures` of the server's
    /// files where there is one (keyed by the bytes of their paths: see ``PathKey``).
    public func plan(
        local: Manifest, remote: Manifest, signatures: [PathKey: Signature] = [:], dictionary: Dictionary = .none
    ) throws(DeltaSyncError) -> Plan {
        let diff = local.diff(from: remote)
        let primer: [UInt8]
        switch dictionary {
        case .none: primer = []
        case .exactly(let bytes): primer = bytes
        case .automatic:
            let whole = diff.added.filter { $0.kind == .file }
                + diff.modified.filter { $0.kind == .file && signatures[PathKey($0.path)] == nil }
            primer = try sharedDictionary(for: whole)
        }
        // Every file's content, made on all processors (deflating is most of a large push's work): an added file
        // whole, a modified one against the server's signature of the version it replaces, if there is one.
        let sources: [(path: String, signature: Signature?)] =
            diff.added.filter { $0.kind == .file }.map { ($0.path, nil) }
            + diff.modified.filter { $0.kind != .symlink }.map { entry in
                let signature = signatures[PathKey(entry.path)].flatMap { signature in
                    EntryState.file(signature.fileDigest) == EntryState(remote[entry.path]) ? signature : nil
                }
                return (entry.path, signature)
            }
        let made = Parallel.map(sources.count, threads: Parallel.processorCount) { index in
            Result { () throws(DeltaSyncError) in
                try self.content(of: sources[index].path, against: sources[index].signature, primer: primer)
            }
        }
        let contents = Swift.Dictionary(uniqueKeysWithValues: zip(sources.map { PathKey($0.path) }, made))
        func content(of path: String) throws(DeltaSyncError) -> (delta: [UInt8], form: Item.Form) {
            try contents[PathKey(path)]!.get()
        }
        var operations: [PushOperation] = []
        var items: [Item] = []

        for entry in diff.removed.sorted(by: { RelativePath.precedes($1.path, $0.path) }) {
            operations.append(.delete(path: entry.path, expected: EntryState(entry)))
            items.append(Item(path: entry.path, kind: entry.kind, change: .deleted, sentBytes: 0, fileSize: entry.size))
        }
        let replacedKinds = Set(diff.removed.map { PathKey($0.path) })
        for entry in diff.added {
            let expected: EntryState = .absent
            let change: Item.Change = replacedKinds.contains(PathKey(entry.path)) ? .modified : .new
            switch entry.kind {
            case .directory:
                operations.append(.directory(path: entry.path, mode: entry.mode))
                items.append(Item(path: entry.path, kind: .directory, change: change, sentBytes: 0, fileSize: 0))
            case .symlink:
                operations.append(.symlink(path: entry.path, expected: expected, target: entry.symlinkTarget ?? ""))
                items.append(Item(path: entry.path, kind: .symlink, change: change, sentBytes: 0, fileSize: entry.size))
            case .file:
                let (delta, form) = try content(of: entry.path)
                operations.append(.file(path: entry.path, expected: expected, mode: entry.mode, delta: delta))
                items.append(
                    Item(
                        path: entry.path, kind: .file, change: change, form: form, sentBytes: delta.count,
                        fileSize: entry.size))
            }
        }
        for entry in diff.modified {
            let expected = EntryState(remote[entry.path])
            if entry.kind == .symlink {
                operations.append(.symlink(path: entry.path, expected: expected, target: entry.symlinkTarget ?? ""))
                items.append(
                    Item(path: entry.path, kind: .symlink, change: .modified, sentBytes: 0, fileSize: entry.size))
                continue
            }
            let (delta, form) = try content(of: entry.path)
            // The whole form keeps the same precondition: the server still checks it has the file we replace.
            operations.append(.file(path: entry.path, expected: expected, mode: entry.mode, delta: delta))
            items.append(
                Item(
                    path: entry.path, kind: .file, change: .modified, form: form, sentBytes: delta.count,
                    fileSize: entry.size))
        }
        for entry in diff.modeChanged {
            operations.append(.mode(path: entry.path, expected: EntryState(remote[entry.path]), mode: entry.mode))
            items.append(Item(path: entry.path, kind: entry.kind, change: .mode, sentBytes: 0, fileSize: entry.size))
        }
        return Plan(bundle: PushBundle(operations: operations, dictionary: primer), items: items)
    }

    /// A dictionary for files sent whole (`files`): a quarter of their size, at most deflate's 32 KiB window, made
    /// of equal slices from the start of up to 16 of them spread over the list. Deflated separately, files lose
    /// what they share (identifiers, boilerplate); with this before each, they compress about as well as in one
    /// stream, for the cost of the dictionary, sent once. None for fewer than two files, under 1 KiB, or text
    /// that does not compress (it would only cost).
    private func sharedDictionary(for files: [ManifestEntry]) throws(DeltaSyncError) -> [UInt8] {
        let length = min(DeltaFormat.dictionaryLength, files.reduce(0) { $0 + $1.size } / 4)
        guard files.count >= 2, length >= 1024 else { return [] }
        let samples = min(16, files.count)
        var dictionary: [UInt8] = []
        for sample in 0..<samples {
            let reader = try FileReader(path: localRoot + "/" + files[sample * files.count / samples].path)
            var slice = [UInt8](repeating: 0, count: min(length / samples, reader.count))
            try slice.withMutableBytes { (bytes) throws(DeltaSyncError) in try reader.read(at: 0, into: bytes) }
            dictionary += slice
        }
        let compresses = dictionary.withUnsafeBytes { Compressibility.isWorthCompressing($0) }
        return compresses ? dictionary : []
    }

    /// The local file at `path` encoded for the bundle: as a delta against the server's file (described by
    /// `signature`) or whole, whichever is smaller (whole on a tie: the receiver then need not read its file);
    /// whole when there is no signature or the server's file is empty.
    ///
    /// A small file, or one rewritten throughout, has little to copy from the server's version and is often
    /// smaller whole. The whole form is only made when it could win, so a large file with a small change is
    /// read and deflated once.
    private func content(of path: String, against signature: Signature?, primer: [UInt8]) throws(DeltaSyncError)
        -> (delta: [UInt8], form: Item.Form)
    {
        let file = localRoot + "/" + path
        guard let signature, signature.fileSize > 0 else {
            return (try Self.delta(of: file, against: Signature(bytes: []), primer: primer).bytes, .whole)
        }
        let (delta, fileSize) = try Self.delta(of: file, against: signature, primer: primer)
        guard delta.count > DeltaFormat.smallestWholeDelta(targetSize: fileSize) else { return (delta, .delta) }
        let (whole, _) = try Self.delta(of: file, against: Signature(bytes: []), primer: primer)
        return whole.count <= delta.count ? (whole, .whole) : (delta, .delta)
    }

    /// The delta from `signature`'s basis to the file at `path`, made with the bundle's dictionary as `primer`,
    /// and the file's size as read.
    private static func delta(of path: String, against signature: Signature, primer: [UInt8]) throws(DeltaSyncError)
        -> (bytes: [UInt8], fileSize: Int)
    {
        let reader = try FileReader(path: path)
        let (_, sink) = try Delta.make(signature: signature, from: reader, to: MemorySink(), primer: primer)
        return (sink.bytes, reader.count)
    }
}
