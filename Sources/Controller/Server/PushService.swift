import DeltaSync
import Glibc

/// The controller's side of the v2 push protocol: the app's manifest, signatures of named files, and
/// applying push bundles, one at a time.
///
/// An actor, so pushes are serialized: a second push waits for the first to finish rather than
/// interleaving with it. The manifest is cached by the stat cache, so answering "what do you have" costs
/// a directory walk, not a re-hash of the app.
actor PushService {
    /// What the last push did, for the status answer.
    struct LastPush: Sendable, Encodable {
        var finishedAt: Int64
        var files: Int
        var bytesWritten: Int
        var bytesReceived: Int
        var restarted: Bool
        var reasons: [String]
    }

    let root: String
    private var scanner: TreeScanner
    private let applier: BundleApplier
    private(set) var lastPush: LastPush?

    /// A service for the app at `root`; rolls back any push a crash interrupted before serving.
    init(root: String, maximumFileSize: Int) throws(DeltaSyncError) {
        self.root = root
        // The server's view is the whole app but the staging area: the client decides what it ignores.
        scanner = try TreeScanner(
            root: root,
            ignoreRules: IgnoreRules(cfignore: "/\(BundleApplier.stagingPrefix)*/\n", includeDefaults: false))
        applier = BundleApplier(root: root, maximumFileSize: maximumFileSize)
        let rolledBack = try applier.recover()
        if rolledBack > 0 {
            ControllerLog.warning(
                "rolled back \(rolledBack) push(es) interrupted by a crash; the app is as it was before them")
        }
    }

    /// The app's manifest now.
    func manifest() throws(DeltaSyncError) -> Manifest {
        try scanner.scan().manifest
    }

    /// The signature of each named file that exists as a regular file; others are left out (the client
    /// then sends those files whole).
    func signatures(for paths: [String]) throws(DeltaSyncError) -> [(path: String, signature: Signature)] {
        var result: [(String, Signature)] = []
        for path in paths {
            try RelativePath.validate(path)
            do {
                result.append((path, try Signature(file: root + "/" + path)))
            } catch  where error.code == .invalidArgument || error.errno == ENOENT || error.errno == ENOTDIR {
                continue  // not a regular file here
            }
        }
        return result
    }

    /// Applies a bundle as one batch; returns what changed. The caller decides about restarting.
    func apply(_ bundle: PushBundle, dryRun: Bool) throws(DeltaSyncError) -> PushResult {
        try applier.apply(bundle, dryRun: dryRun)
    }

    func record(_ push: LastPush) { lastPush = push }
}
