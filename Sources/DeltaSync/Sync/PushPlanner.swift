/// Builds the push that brings a server's tree (known by its manifest) to a local tree's state.
///
/// Order matters and is fixed here: removals first, deepest paths first, so a directory is empty when
/// its turn comes; then new directories, parents first; then files, links and mode changes. Modified
/// files travel as deltas against the server's signatures; files without one travel whole (as a delta
/// from nothing, so their literals are still deflated where that pays).
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
        /// Bytes of delta this change adds to the bundle.
        public var deltaBytes: Int
        /// The file's size, for comparison with a whole upload.
        public var fileSize: Int
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

    /// Plans the push from `remote` (the server's manifest) to `local`, using `signatures` of the server's
    /// files where there is one.
    public func plan(local: Manifest, remote: Manifest, signatures: [String: Signature] = [:]) throws(DeltaSyncError)
        -> Plan
    {
        let diff = local.diff(from: remote)
        var operations: [PushOperation] = []
        var items: [Item] = []

        for entry in diff.removed.sorted(by: { RelativePath.precedes($1.path, $0.path) }) {
            operations.append(.delete(path: entry.path, expected: EntryState(entry)))
            items.append(Item(path: entry.path, kind: entry.kind, change: .deleted, deltaBytes: 0, fileSize: entry.size))
        }
        let replacedKinds = Set(diff.removed.map(\.path))
        for entry in diff.added {
            let expected: EntryState = .absent
            let change: Item.Change = replacedKinds.contains(entry.path) ? .modified : .new
            switch entry.kind {
            case .directory:
                operations.append(.directory(path: entry.path, mode: entry.mode))
                items.append(Item(path: entry.path, kind: .directory, change: change, deltaBytes: 0, fileSize: 0))
            case .symlink:
                operations.append(.symlink(path: entry.path, expected: expected, target: entry.symlinkTarget ?? ""))
                items.append(Item(path: entry.path, kind: .symlink, change: change, deltaBytes: 0, fileSize: entry.size))
            case .file:
                let delta = try makeDelta(for: entry.path, against: nil)
                operations.append(.file(path: entry.path, expected: expected, mode: entry.mode, delta: delta))
                items.append(Item(path: entry.path, kind: .file, change: change, deltaBytes: delta.count, fileSize: entry.size))
            }
        }
        for entry in diff.modified {
            let expected = EntryState(remote[entry.path])
            if entry.kind == .symlink {
                operations.append(.symlink(path: entry.path, expected: expected, target: entry.symlinkTarget ?? ""))
                items.append(Item(path: entry.path, kind: .symlink, change: .modified, deltaBytes: 0, fileSize: entry.size))
                continue
            }
            let signature = signatures[entry.path].flatMap { signature in
                EntryState.file(signature.fileDigest) == expected ? signature : nil
            }
            let delta = try makeDelta(for: entry.path, against: signature)
            operations.append(.file(path: entry.path, expected: expected, mode: entry.mode, delta: delta))
            items.append(Item(path: entry.path, kind: .file, change: .modified, deltaBytes: delta.count, fileSize: entry.size))
        }
        for entry in diff.modeChanged {
            operations.append(.mode(path: entry.path, expected: EntryState(remote[entry.path]), mode: entry.mode))
            items.append(Item(path: entry.path, kind: entry.kind, change: .mode, deltaBytes: 0, fileSize: entry.size))
        }
        return Plan(bundle: PushBundle(operations: operations), items: items)
    }

    /// The delta from the server's file (described by `signature`) or from nothing to the local file.
    ///
    /// A delta against a signature that turns out no smaller than the file (a small file, or one rewritten
    /// throughout) is replaced by the file sent whole, which then costs only its deflated literals.
    private func makeDelta(for path: String, against signature: Signature?) throws(DeltaSyncError) -> [UInt8] {
        let basis = signature ?? Signature(bytes: [])
        let reader = try FileReader(path: localRoot + "/" + path)
        let (_, sink) = try Delta.make(signature: basis, from: reader, to: MemorySink())
        guard signature != nil, sink.bytes.count >= reader.count else { return sink.bytes }
        let (_, whole) = try Delta.make(signature: Signature(bytes: []), from: try FileReader(path: localRoot + "/" + path), to: MemorySink())
        return whole.bytes.count < sink.bytes.count ? whole.bytes : sink.bytes
    }
}
