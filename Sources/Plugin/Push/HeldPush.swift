import DeltaSync

/// What the controller kept of a push it refused with a conflict: the operations on the paths that did not
/// conflict, under an id. The retry sends only what must change from that push (the conflicted paths, and any
/// other whose state on the server is no longer the one the push expected) and names the id; the controller
/// applies the two together, as one push.
struct HeldPush {
    /// The id the controller holds the operations under.
    let id: String
    /// What the refused push expected at each path it touched (its first operation's precondition).
    private var expected: [PathKey: EntryState] = [:]
    /// The paths the controller named as conflicted.
    private let conflicted: Set<PathKey>
    /// The refused push's planned changes, for the report.
    private let items: [PushPlanner.Item]
    /// The shared dictionary the held operations were made with, which the retry must be made with too.
    let dictionary: [UInt8]

    init(id: String, refused plan: PushPlanner.Plan, conflicted paths: [String]) {
        self.id = id
        for operation in plan.bundle.operations where expected[PathKey(operation.path)] == nil {
            expected[PathKey(operation.path)] = operation.expected
        }
        conflicted = Set(paths.map { PathKey($0) })
        items = plan.items
        dictionary = plan.bundle.dictionary
    }

    /// The paths of `diff` (from the server's tree `remote` to the local one) the retry must send itself, with
    /// their parent directories (a manifest lists a path only with its parents; a parent the held push creates
    /// or removes is sent again, which costs nothing).
    func pathsToSend(_ diff: ManifestDiff, remote: Manifest) -> Set<PathKey> {
        var send: Set<PathKey> = []
        for entry in diff.added + diff.modified + diff.removed + diff.modeChanged {
            let key = PathKey(entry.path)
            guard conflicted.contains(key) || expected[key] != EntryState(remote[entry.path]) else { continue }
            send.insert(key)
            var parent = String(RelativePath.parent(of: entry.path))
            while !parent.isEmpty {
                send.insert(PathKey(parent))
                parent = String(RelativePath.parent(of: parent))
            }
        }
        return send
    }

    /// The changes the completed push makes: the held ones, then those the retry sent.
    func items(besides sent: [PushPlanner.Item]) -> [PushPlanner.Item] {
        let replaced = Set(sent.map { PathKey($0.path) }).union(conflicted)
        return items.filter { !replaced.contains(PathKey($0.path)) } + sent
    }
}
