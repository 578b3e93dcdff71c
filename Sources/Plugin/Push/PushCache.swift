import DeltaSync
import Foundation

/// What the client last left on one controller, so that the next push is one request: the manifest of the
/// pushed tree (as the server now has it) and the signatures of pushed files, keyed by their digests.
///
/// Lives in `$FASTPUSH_CACHE_DIR`, else `$XDG_CACHE_HOME/fastpush`, else `~/.cache/fastpush`: one folder per
/// controller URL (and instance) with `manifest`, `state.json` and `scan-memory` (what the last scan of the app saw:
/// its manifest, each entry's `stat` identity and each directory's listing, so that a push reads only files that
/// changed and lists only directories that changed), and a shared `signature-store`, one file of
/// signatures keyed by the digest of the content they describe (``SignatureStoreFile``). It is only a hint: every
/// push carries the digest it expects for each file, so a stale cache costs a second round trip, never a wrong
/// file. `--resync` ignores it and starts over.
struct PushCache: Sendable {
    /// What `state.json` holds.
    struct State: Codable, Sendable {
        var url: String
        var serverRootDigest: String?
        var container: StatusAnswer.Container?
        var pushedAt: Int64
        /// What the controller reads beyond the formats' first versions, as it last said (``WireFeature``).
        var features: [String]?
        /// The digest of `manifest`'s bytes: when the scan memory's manifest has it, it is that manifest, and the
        /// file need not be decoded.
        var manifestDigest: String?
    }

    let root: String
    let directory: String
    /// The signatures of content pushed to any controller, shared by every app.
    let signatureStore: SignatureStoreFile

    /// The size the signature store may reach: the signatures of about 2 GiB of files (a signature the client makes
    /// is 1 % to 3.5 % of its file, the most for files up to 64 MiB).
    static let signatureStoreCapacity = 64 << 20

    init(endpoint: ControllerEndpoint, environment: [String: String]) {
        root = Self.root(environment: environment)
        let key = FileDigest(of: Array((endpoint.baseURL + "|" + (endpoint.instance ?? "")).utf8)).short
        directory = root + "/" + key
        signatureStore = SignatureStoreFile(path: root + "/signature-store", capacity: Self.signatureStoreCapacity)
    }

    static func root(environment: [String: String]) -> String {
        if let path = environment["FASTPUSH_CACHE_DIR"], !path.isEmpty { return path }
        if let path = environment["XDG_CACHE_HOME"], !path.isEmpty { return path + "/fastpush" }
        return (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()) + "/.cache/fastpush"
    }

    /// The last pushed manifest and its state, or `nil` when there is none or it cannot be read. `scanned` is a
    /// manifest known by the digest of its bytes (the scan memory's): it is returned when it is the pushed one.
    func load(reusing scanned: (manifest: Manifest, manifestDigest: FileDigest)? = nil) -> (manifest: Manifest, state: State)? {
        guard let state = loadState() else { return nil }
        if let scanned, state.manifestDigest == scanned.manifestDigest.hex { return (scanned.manifest, state) }
        guard let bytes = try? FileTree.read(directory + "/manifest"), let manifest = try? Manifest(decoding: bytes) else {
            return nil
        }
        return (manifest, state)
    }

    /// The state of the last push, or `nil` when there is none or it cannot be read.
    func loadState() -> State? {
        guard let bytes = try? FileTree.read(directory + "/state.json") else { return nil }
        return try? JSONDecoder().decode(State.self, from: Data(bytes))
    }

    /// Whether an earlier push left a manifest here (it may still fail to load).
    var hasManifest: Bool { access(directory + "/manifest", F_OK) == 0 }

    /// Records what the server has after a push: `manifest`, whose binary form is `encoded` when already known.
    func save(_ manifest: Manifest, encoded: [UInt8]? = nil, state: State) throws {
        try FileTree.makeDirectories(directory)
        let bytes = encoded ?? manifest.encoded()
        try Self.write(bytes, to: directory + "/manifest")
        var state = state
        state.manifestDigest = FileDigest(of: bytes).hex
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.write(Array(try encoder.encode(state)), to: directory + "/state.json")
    }

    /// Restores into `scanner` what the last scan of the app directory `root` saw (``TreeScanner/restoreMemory(from:root:)``)
    /// and returns that scan's manifest with the digest of its bytes; `nil` when there is none or the file is damaged,
    /// foreign, about another directory or from other ignore rules (never trusted then: the scan reads every file and
    /// rewrites it).
    func restoreScan(into scanner: inout TreeScanner, root: String) -> (manifest: Manifest, manifestDigest: FileDigest)? {
        guard let bytes = try? FileTree.read(directory + "/scan-memory") else { return nil }
        return try? scanner.restoreMemory(from: bytes, root: Self.absolute(root))
    }

    /// Keeps what the last scan of `root` saw for the next push; returns the binary form of its manifest.
    @discardableResult
    func storeScan(of scanner: TreeScanner, root: String) throws -> [UInt8]? {
        guard let (bytes, manifest) = scanner.encodedMemory(root: Self.absolute(root)) else { return nil }
        try FileTree.makeDirectories(directory)
        try Self.write(bytes, to: directory + "/scan-memory")
        // `stat-cache`, the file digests alone, is what earlier releases kept; nothing reads it any more.
        if access(directory + "/stat-cache", F_OK) == 0 { try? FileTree.removeRecursively(directory + "/stat-cache") }
        return manifest
    }

    /// `path` with symlinks resolved, so that two spellings of one app directory share a scan memory.
    private static func absolute(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    func hasSignature(for digest: FileDigest) -> Bool {
        signatureStore.contains(digest)
    }

    /// The stored signature of the content whose digest is `digest`, if one is stored intact.
    func signature(for digest: FileDigest) -> Signature? {
        signatureStore.signature(for: digest)
    }

    func store(_ signature: Signature) throws {
        try store([signature])
    }

    /// Keeps `signatures` in one append to the store; `inUse` names content a server holds now, which the store
    /// keeps before anything else when it must make room.
    func store(_ signatures: [Signature], inUse: Set<FileDigest> = []) throws {
        try signatureStore.add(signatures, inUse: inUse, now: UInt64(max(0, time(nil))))
        // `signatures/`, one file per signature, is where earlier releases kept them; nothing reads it any more.
        if access(root + "/signatures", F_OK) == 0 { try? FileTree.removeRecursively(root + "/signatures") }
    }

    /// Atomic (a reader never sees half a file) but not flushed to disk: the cache is a hint.
    private static func write(_ bytes: [UInt8], to path: String) throws {
        let writer = try AtomicFileWriter(path: path, durable: false)
        try bytes.withUnsafeBytes { buffer in try writer.write(buffer) }
        try writer.commit()
    }

    /// Forgets this controller's state (the shared signatures stay: they are keyed by content).
    func clear() {
        try? FileTree.removeRecursively(directory)
    }
}
