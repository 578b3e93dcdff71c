import DeltaSync

/// Pushes planned as a client plans them, for tests that speak to the controller's HTTP API directly.
enum ClientPlan {
    /// The manifest of the tree at `root`, every file included.
    static func manifest(of root: String) throws -> Manifest {
        var scanner = try TreeScanner(root: root, ignoreRules: IgnoreRules(includeDefaults: false))
        return try scanner.scan().manifest
    }

    /// The bundle that brings an app known by its `remote` manifest, whose files are at `app`, to the tree at
    /// `local`: files that changed travel as deltas against their old version.
    static func bundle(from remote: Manifest, app: String, to local: String) throws -> [UInt8] {
        let manifest = try manifest(of: local)
        var signatures: [PathKey: Signature] = [:]
        for entry in manifest.diff(from: remote).modified where entry.kind == .file {
            signatures[PathKey(entry.path)] = try Signature(file: app + "/" + entry.path)
        }
        return try PushPlanner(localRoot: local).plan(local: manifest, remote: remote, signatures: signatures).bundle.encoded()
    }
}
