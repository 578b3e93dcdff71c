import DeltaSync
import Glibc

/// The controller's side of the v2 push protocol: the app's manifest, signatures of named files, and
/// applying push bundles, one at a time.
///
/// Pushes are serialized through ``exclusively(_:)``: a second push waits until the first has been applied
/// and its commands and restart are done, rather than interleaving with them. The manifest is cached by the stat cache, so answering "what do you have" costs
/// a directory walk, not a re-hash of the app.
actor PushService {
    /// What the last push did, for the status answer.
    struct LastPush: Sendable, Encodable {
        var finishedAt: Int64
        var files: Int
        var bytesWritten: Int
        var bytesReceived: Int
        var restarted: Bool
        /// The decided action: `none`, `signal`, `restart` or `full-push`.
        var action: String
        var reasons: [String]
    }

    let root: String
    private var scanner: TreeScanner
    private let applier: BundleApplier
    private(set) var lastPush: LastPush?
    /// What a push that conflicted left to be completed: its operations on the paths that did not conflict, so
    /// that the client's retry sends only the paths that did. One at a time, dropped when a push completes it,
    /// when another conflict replaces it, or after ``heldFor``.
    struct HeldPush: Sendable {
        var id: String
        var operations: [PushOperation]
        /// The shared dictionary the operations' deltas were made with.
        var dictionary: [UInt8]
    }
    private var held: HeldPush?
    /// How long a conflicting push's operations wait for the retry that completes them.
    static let heldFor: Duration = .seconds(300)

    /// Whether a push holds the turn, and the pushes waiting for it, first come first served.
    private var pushing = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// The log lines of the entries the last scan left out (as bytes: names are compared byte for byte).
    private var skippedLastTime = Set<[UInt8]>()

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
        // A write cut short by a crash (an upload through the original API writes file by file) leaves its
        // temporary file behind; nothing writes yet, so every one of them is abandoned.
        let abandoned = try AtomicFileWriter.removeAbandoned(under: root) { directory, error in
            let reason = error.errno.map { String(cString: strerror($0)) } ?? error.message
            ControllerLog.warning("not looking for temporary files in \(RelativePath.quoted(directory)): \(reason); it is left as it is")
        }
        if abandoned > 0 { ControllerLog.warning("removed \(abandoned) temporary file(s) left by a crash") }
    }

    /// The app's manifest now.
    func manifest() throws(DeltaSyncError) -> Manifest {
        try scan().manifest
    }

    /// The app's manifest now, and the entries left out of it with the reason (an unreadable directory, a name
    /// that is not UTF-8). Each is logged once, when a scan first leaves it out.
    func scan() throws(DeltaSyncError) -> (manifest: Manifest, skipped: [TreeScanner.SkippedEntry]) {
        let result = try scanner.scan()
        var reported = Set<[UInt8]>()
        for entry in result.skipped {
            let line = "leaving \(RelativePath.quoted(entry.path)) out of the manifest: \(entry.reason)"
            let key = Array(line.utf8)
            reported.insert(key)
            if !skippedLastTime.contains(key) { ControllerLog.warning(line) }
        }
        skippedLastTime = reported
        return (result.manifest, result.skipped)
    }

    /// The signature of each named file that exists as a regular file; others are left out (the client
    /// then sends those files whole).
    func signatures(for paths: [String]) throws(DeltaSyncError) -> [(path: String, signature: Signature)] {
        var result: [(String, Signature)] = []
        for path in paths {
            try RelativePath.validate(path)
            guard isRegularFileInsideApp(path) else { continue }
            do {
                result.append((path, try Signature(file: root + "/" + path)))
            } catch  where error.code == .invalidArgument || error.errno == ENOENT || error.errno == ENOTDIR {
                continue  // not a regular file here
            }
        }
        return result
    }

    /// True when `path` is a regular file reached through real directories only. A symlink on the way could lead
    /// out of the app (and its signature would describe a file outside it); a FIFO would block the open forever.
    private func isRegularFileInsideApp(_ path: String) -> Bool {
        let components = path.split(separator: "/")
        var prefix = root
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            guard let status = try? SystemCall.lstatIfPresent(prefix) else { return false }
            guard status.st_mode & S_IFMT == (index == components.count - 1 ? S_IFREG : S_IFDIR) else { return false }
        }
        return true
    }

    /// Applies a bundle as one batch; returns what changed and the app's own restart rules as the push leaves
    /// them. The caller decides about restarting.
    ///
    /// A `.fastpush.yml` the push brings is read and checked after the bundle is staged and before anything is
    /// committed, so a push with broken rules is refused whole (also in a dry run).
    ///
    /// With `completing`, the bundle completes the push held under that id (``HeldPush``): it is applied with the
    /// held operations it does not replace. A conflict keeps the operations on the paths that did not conflict
    /// (unless a dry run) and names their id in the error, as ``Conflict``.
    func apply(_ bundle: PushBundle, dryRun: Bool, completing heldID: String? = nil) throws(PushFailure)
        -> (result: PushResult, appRules: [ConfiguredRule])
    {
        var bundle = bundle
        if let heldID {
            guard let held, held.id == heldID else { throw .heldPushGone }
            self.held = nil
            do throws(DeltaSyncError) {
                bundle = try bundle.completing(held.operations, dictionary: held.dictionary)
            } catch {
                throw .engine(error)
            }
        }
        var appRules: [ConfiguredRule] = []
        do throws(DeltaSyncError) {
            let result = try applier.apply(bundle, dryRun: dryRun) { (tree: StagedTree) throws(DeltaSyncError) in
                appRules = try Self.appRules(in: tree)
            }
            return (result, appRules)
        } catch where error.code == .conflict && !error.conflictedPaths.isEmpty && !dryRun {
            let conflicted = Set(error.conflictedPaths.map { PathKey($0) })
            let kept = HeldPush(
                id: SystemCall.uniqueSuffix(),
                operations: bundle.operations.filter { !conflicted.contains(PathKey($0.path)) }, dictionary: bundle.dictionary)
            held = kept
            Task { [weak self] in
                try? await Task.sleep(for: Self.heldFor)
                await self?.dropHeld(kept.id)
            }
            throw .conflict(error, heldID: kept.id)
        } catch {
            throw .engine(error)
        }
    }

    /// Why ``apply(_:dryRun:completing:)`` changed nothing.
    enum PushFailure: Error {
        /// The engine refused the push (a conflict in a dry run or without named paths included).
        case engine(DeltaSyncError)
        /// Paths changed on the server; the other operations are held under `heldID`.
        case conflict(DeltaSyncError, heldID: String)
        /// The push to complete is no longer held (completed, replaced or expired).
        case heldPushGone
    }

    private func dropHeld(_ id: String) {
        if held?.id == id { held = nil }
    }

    /// The rules in `.fastpush.yml` as `tree` has it; none without the file.
    static func appRules(in tree: StagedTree) throws(DeltaSyncError) -> [ConfiguredRule] {
        let path = AppRulesFile.path
        let bytes: [UInt8]?
        do {
            bytes = try tree.contents(of: path)
        } catch {
            throw DeltaSyncError(
                .invalidArgument, "push refused, nothing was changed: \(error.message); fix \(path) and push again")
        }
        guard let bytes else { return [] }
        do {
            return try AppRulesFile.rules(in: bytes)
        } catch {
            throw DeltaSyncError(
                .invalidArgument,
                "push refused, nothing was changed: \(error.message); fix \(path) (its syntax is in docs/RESTART-POLICY.md) and push again")
        }
    }

    /// Runs `body` once no other push holds the turn, in a task of its own, so that a client hanging up
    /// cannot cut short a push whose files are already applied.
    func exclusively<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if pushing {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            pushing = true
        }
        defer {
            if waiting.isEmpty { pushing = false } else { waiting.removeFirst().resume() }
        }
        return try await Task { try await body() }.value
    }

    func record(_ push: LastPush) { lastPush = push }
}
