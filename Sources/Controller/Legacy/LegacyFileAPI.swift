package import DeltaSync
import Glibc
import Synchronization
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The legacy v1 file API (`GET` and `PUT {base}/files`), without the HTTP: list the app's files with their
/// SHA-256, and apply an upload of whole files.
///
/// Old plugins keep working unchanged, but nothing they send is trusted:
/// - every path is normalized (`./a.py` is `a.py`) and checked: relative, no `..`, no NUL, within the length
///   limits, inside one of the backend directories, and not reached through a symlink or a file (each existing
///   parent is checked with `lstat`), and the target itself is not a symlink, directory or device;
/// - the whole upload is checked (JSON, base64, paths, duplicates, the file system) before anything is written,
///   so a refused upload changes nothing;
/// - the upload is applied as one batch by the applier of v2 pushes: every file is written or none is (a full
///   disk halfway writes nothing), and the app never reads half a file; an existing file keeps its permission
///   bits, a new one gets 0644; missing parent directories are created.
///
/// Listing hashes only files that changed since the last listing: digests are cached by path with size,
/// modification and change time, inode and device (see ``LegacyDigestCache``).
package struct LegacyFileAPI: Sendable {
    /// The app directory that paths are relative to (the controller's working directory in production).
    let appRoot: String
    /// The normalized backend directories ("" is the whole app), none nested in another.
    let backendDirectories: [String]
    /// Which written paths call for a restart.
    let restartRule: RestartRegex
    /// The largest upload body accepted, in bytes.
    let maxPushBytes: Int
    /// Digests from earlier listings, shared by copies of this value.
    let digests: LegacyDigestCache

    /// The API over `appRoot` with the settings of `config`.
    ///
    /// - Parameters:
    ///   - config: Supplies the backend directories, the restart rule and the upload limit.
    ///   - appRoot: The app directory; `nil` means the working directory.
    ///   - digests: The digest cache; pass one to share it or to tune it.
    init(config: ControllerConfig, appRoot: String? = nil, digests: LegacyDigestCache = LegacyDigestCache()) {
        var root = appRoot ?? FileManager.default.currentDirectoryPath
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.appRoot = root
        let directories = config.backendDirectories
        backendDirectories = directories.filter { directory in
            !directories.contains { other in other != directory && Self.isInside(directory, other) }
        }
        restartRule = config.restartRule
        maxPushBytes = config.maxPushBytes
        self.digests = digests
    }

    // MARK: Listing

    /// Every regular file under the backend directories, keyed by its path relative to the app root as the
    /// original listed it (`app.py`, `static/style.css`), with `Content` left out.
    ///
    /// Symlinks are not followed or listed; names that are not UTF-8 and files that cannot be read are left out.
    /// A backend directory that does not exist, or is reached through a symlink, lists nothing.
    func listFiles() throws(ControllerError) -> [PathKey: LegacyFileEntry] {
        let scanStart = SystemCall.now()
        var files: [PathKey: LegacyFileEntry] = [:]
        for backendDirectory in backendDirectories {
            if !backendDirectory.isEmpty {
                do throws(ControllerError) {
                    try inspectTarget(backendDirectory, expectingDirectory: true)
                } catch {
                    continue
                }
            }
            var pending = [backendDirectory]
            while let directory = pending.popLast() {
                let absolute = absolutePath(directory)
                guard let names = try? SystemCall.directoryNames(absolute) else { continue }
                for rawName in names {
                    guard let name = String(validating: rawName, as: UTF8.self) else { continue }
                    let path = RelativePath.join(directory, name)
                    guard let status = (try? SystemCall.lstatIfPresent(absolute + "/" + name)) ?? nil else { continue }
                    switch status.st_mode & S_IFMT {
                    case S_IFDIR:
                        pending.append(path)
                    case S_IFREG:
                        let identity = StatCache<String>.Identity(status)
                        let checksum: String
                        if let cached = digests.digest(for: path, identity: identity) {
                            checksum = cached
                        } else {
                            guard let computed = try? Self.sha256(ofFile: absolute + "/" + name) else { continue }
                            checksum = computed
                            digests.remember(path, identity: identity, digest: checksum, scanStart: scanStart)
                        }
                        files[PathKey(path)] = LegacyFileEntry(
                            checksum: checksum, modification: Int64(status.st_mtim.tv_sec), content: nil)
                    default:
                        continue
                    }
                }
            }
        }
        digests.keepOnly(Set(files.keys))
        return files
    }

    /// ``listFiles()`` as the JSON body of `GET {base}/files`.
    func listingBody() throws(ControllerError) -> [UInt8] {
        LegacyJSON.encode(files: try listFiles())
    }

    // MARK: Uploading

    /// Parses and checks a `PUT {base}/files` body; nothing is written.
    ///
    /// - Returns: The files to write, in body order, with normalized paths.
    /// - Throws: ``ControllerError`` whose message starts "push refused, nothing was written:" and says what is
    ///   wrong: ``ControllerError/Code/limitExceeded`` for a body over ``maxPushBytes``,
    ///   ``ControllerError/Code/invalidRequest`` for malformed JSON or base64 and duplicate paths,
    ///   ``ControllerError/Code/invalidPath`` for unsafe paths.
    func decodeUpload(_ body: [UInt8]) throws(ControllerError) -> [ValidatedUpload] {
        try refusingWholePush { () throws(ControllerError) in
            guard body.count <= maxPushBytes else {
                throw ControllerError(
                    .limitExceeded,
                    "the upload is \(body.count) bytes, more than max_push_bytes (\(maxPushBytes)); push fewer "
                        + "files at once or raise max_push_bytes in cf-fastpush-controller.yml")
            }
            var uploads: [ValidatedUpload] = []
            var originals: [PathKey: String] = [:]
            for file in try LegacyJSON.decodeUpload(body) {
                let path = try checkedPath(file.path)
                if let first = originals.updateValue(file.path, forKey: PathKey(path)) {
                    throw ControllerError(
                        .invalidRequest,
                        "\(RelativePath.quoted(first)) and \(RelativePath.quoted(file.path)) name the same file "
                            + "\(RelativePath.quoted(path)); send each file once")
                }
                uploads.append(
                    ValidatedUpload(
                        path: path, content: file.content, needsRestart: restartRule.needsRestart(path: path)))
            }
            for upload in uploads { _ = try inspectTarget(upload.path, expectingDirectory: false) }
            return uploads
        }
    }

    /// Writes `uploads` as one batch, after checking all of them again against the file system: every file is
    /// written or none is. The batch goes through the applier of v2 pushes (staged, verified, committed under a
    /// journal), so a full disk or a crash halfway leaves the app as it was; missing parent directories are
    /// created (0755), an existing file keeps its permission bits and a new one gets 0644, as in the original.
    ///
    /// Call it only in the push turn (``PushService/exclusively(_:)``): it must not run beside another push.
    ///
    /// - Returns: What was written and which written paths call for a restart.
    /// - Throws: ``ControllerError`` saying that nothing was written, and why: ``ControllerError/Code/invalidPath``
    ///   when a check fails, ``ControllerError/Code/insufficientStorage`` when the disk is full (which file, how
    ///   many bytes, how many are free), ``ControllerError/Code/conflict`` when a file changed meanwhile,
    ///   ``ControllerError/Code/io`` when reading or writing failed otherwise.
    func apply(_ uploads: [ValidatedUpload]) throws(ControllerError) -> LegacyApplyResult {
        var operations: [PushOperation] = []
        try refusingWholePush { () throws(ControllerError) in
            var directoriesCreated = Set<[UInt8]>()
            for upload in uploads {
                _ = try checkedPath(upload.path)
                let mode = try inspectTarget(upload.path, expectingDirectory: false)
                var parent = ""
                for component in upload.path.split(separator: "/").dropLast() {
                    parent = RelativePath.join(parent, String(component))
                    guard !directoriesCreated.contains(Array(parent.utf8)), try existing(parent) == nil else { continue }
                    directoriesCreated.insert(Array(parent.utf8))
                    operations.append(.directory(path: parent, mode: 0o755))
                }
                let expected: EntryState
                do throws(DeltaSyncError) {
                    expected = mode == nil ? .absent : .file(try FileDigest(file: absolutePath(upload.path)))
                } catch {
                    throw ControllerError(.io, error.message)
                }
                let whole = Delta.make(signature: Signature(bytes: []), bytes: upload.content, compressLiterals: false)
                operations.append(.file(path: upload.path, expected: expected, mode: mode ?? 0o644, delta: whole.delta))
            }
        }
        if !operations.isEmpty {
            do throws(DeltaSyncError) {
                _ = try BundleApplier(root: appRoot).apply(PushBundle(operations: operations))
            } catch {
                throw ControllerError(ControllerError.Code(error.code), error.message)
            }
        }
        return LegacyApplyResult(
            updated: uploads.map(\.path), restartPaths: uploads.filter(\.needsRestart).map(\.path))
    }

    // MARK: Tokens

    /// The token the legacy API accepts: the configured `token` (or `FASTPUSH_TOKEN`), else the app's GUID, the
    /// `application_id` in `VCAP_APPLICATION`, which is what the original plugin sends; `nil` when there is
    /// neither, and then every control request must be refused.
    static func legacyToken(config: ControllerConfig, environment: [String: String]) -> String? {
        if let token = config.token, !token.isEmpty { return token }
        return (try? VCAPApplication.read(from: environment))?.applicationID
    }

    /// Whether `presented` (the `x-auth-token` header) equals `expected`, in time that does not depend on where
    /// they differ; always false when either is missing or `expected` is empty.
    static func tokenMatches(_ presented: String?, expected: String?) -> Bool {
        guard let presented, let expected, !expected.isEmpty else { return false }
        let given = Array(presented.utf8)
        let wanted = Array(expected.utf8)
        var difference: UInt8 = given.count == wanted.count ? 0 : 1
        for index in wanted.indices {
            difference |= (index < given.count ? given[index] : 0) ^ wanted[index]
        }
        return difference == 0
    }

    // MARK: Paths

    /// `path` made canonical: empty and `.` components dropped (`./src/` is `src`, `.` is "", the app root),
    /// then checked with `RelativePath.validate`.
    ///
    /// - Throws: `DeltaSyncError` with code `invalidPath` for an absolute path, a `..` component, a NUL byte or a
    ///   path over the length limits.
    static func normalizeAppPath(_ path: String) throws(DeltaSyncError) -> String {
        guard !path.hasPrefix("/") else {
            throw DeltaSyncError(
                .invalidPath,
                "unsafe path \(RelativePath.quoted(path)): it is absolute; paths must be relative to the app root")
        }
        let normalized = path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        if normalized.isEmpty { return "" }
        try RelativePath.validate(normalized)
        return normalized
    }

    /// A path from the network, normalized, naming a file inside a backend directory.
    private func checkedPath(_ path: String) throws(ControllerError) -> String {
        guard !path.hasSuffix("/") else {
            throw ControllerError(.invalidPath, "\(RelativePath.quoted(path)) names a directory, not a file")
        }
        let normalized: String
        do throws(DeltaSyncError) {
            normalized = try Self.normalizeAppPath(path)
        } catch {
            throw ControllerError(.invalidPath, error.message)
        }
        guard !normalized.isEmpty else {
            throw ControllerError(.invalidPath, "\(RelativePath.quoted(path)) names the app directory, not a file")
        }
        guard isInBackendDirectories(normalized) else {
            let allowed = backendDirectories.map { RelativePath.quoted($0 + "/") }.joined(separator: ", ")
            throw ControllerError(
                .invalidPath,
                "\(RelativePath.quoted(path)) is outside the backend directories (\(allowed)); BACKEND_DIRS limits "
                    + "where pushes may write")
        }
        return normalized
    }

    /// Checks that `path` can be written without leaving the app: every existing parent is a real directory
    /// (not a symlink, not a file), and the target, if it exists, is a regular file (or, with
    /// `expectingDirectory`, a directory).
    ///
    /// - Returns: The permission bits of the existing target, or `nil` when it does not exist yet.
    @discardableResult
    private func inspectTarget(_ path: String, expectingDirectory: Bool) throws(ControllerError) -> UInt32? {
        let components = path.split(separator: "/")
        var current = appRoot
        for (index, component) in components.enumerated() {
            current += "/" + component
            let shown = RelativePath.quoted(components[...index].joined(separator: "/"))
            let status: stat?
            do throws(DeltaSyncError) {
                status = try SystemCall.lstatIfPresent(current)
            } catch {
                throw ControllerError(.io, error.message)
            }
            guard let status else { return nil }
            let type = status.st_mode & S_IFMT
            let isTarget = index == components.count - 1
            if type == S_IFLNK {
                throw ControllerError(
                    .invalidPath,
                    isTarget
                        ? "\(shown) is a symlink in the app; pushes do not replace or write through symlinks"
                        : "\(shown) is a symlink in the app; pushes do not write through symlinks, which could lead "
                            + "outside the app")
            }
            if !isTarget || expectingDirectory {
                guard type == S_IFDIR else {
                    throw ControllerError(
                        .invalidPath, "\(shown) is not a directory, so \(RelativePath.quoted(path)) cannot be written")
                }
            } else {
                if type == S_IFDIR {
                    throw ControllerError(.invalidPath, "\(shown) is a directory in the app; it cannot become a file")
                }
                guard type == S_IFREG else {
                    throw ControllerError(
                        .invalidPath, "\(shown) is not a regular file; pushes only replace regular files")
                }
                return UInt32(status.st_mode & 0o777)
            }
        }
        return nil
    }

    /// What is at `path` in the app, or `nil` when nothing is.
    private func existing(_ path: String) throws(ControllerError) -> stat? {
        do throws(DeltaSyncError) { return try SystemCall.lstatIfPresent(absolutePath(path)) } catch {
            throw ControllerError(.io, error.message)
        }
    }

    /// Runs `body`, prefixing the message of any error it throws with "push refused, nothing was written".
    private func refusingWholePush<T>(_ body: () throws(ControllerError) -> T) throws(ControllerError) -> T {
        do throws(ControllerError) {
            return try body()
        } catch {
            throw ControllerError(error.code, "push refused, nothing was written: \(error.message)")
        }
    }

    private func absolutePath(_ path: String) -> String {
        path.isEmpty ? appRoot : appRoot == "/" ? "/" + path : appRoot + "/" + path
    }

    /// Whether the normalized `path` lies in one of the backend directories ("" is the whole app): the only
    /// places pushes, legacy or v2, may change.
    func isInBackendDirectories(_ path: String) -> Bool {
        backendDirectories.contains { Self.isInside(path, $0) }
    }

    /// Whether the normalized `path` is `directory` itself or below it.
    private static func isInside(_ path: String, _ directory: String) -> Bool {
        directory.isEmpty || path == directory || path.hasPrefix(directory + "/")
    }

    // MARK: File system

    /// The SHA-256 of a file's content as lower-case hex, read in blocks.
    package static func sha256(ofFile path: String) throws(DeltaSyncError) -> String {
        let reader = try FileReader(path: path)
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = try buffer.withMutableBytes { (bytes) throws(DeltaSyncError) in try reader.read(into: bytes) }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return Hex.encode(hasher.finalize())
    }
}

/// A file a legacy upload will write, after every check that can be made before writing.
struct ValidatedUpload: Sendable, Equatable {
    /// The normalized path relative to the app root, such as `static/style.css`.
    var path: String
    /// The new content.
    var content: [UInt8]
    /// Whether writing it calls for a restart under the configured rule.
    var needsRestart: Bool
}

/// What a legacy upload did, and the `Health` sentence the original answered with.
struct LegacyApplyResult: Sendable, Equatable {
    /// Paths written, in upload order.
    var updated: [String] = []
    /// Written paths that match the restart rule; the caller restarts the backend when there are any.
    var restartPaths: [String] = []

    /// Whether the backend should be restarted.
    var needsRestart: Bool { !restartPaths.isEmpty }

    /// The answer's `Health` text: the restart, else a plain count. The wording and the "1 files" grammar are the
    /// original's, which old plugins print.
    var health: String {
        if needsRestart { return "Restarting after updating \(updated.count) files" }
        return "Updated \(updated.count) files without restart"
    }

    /// The `Health` text of an upload of `count` files that changed nothing, with the reason: the original's
    /// "Failed to update" count, which old plugins print, followed by what the developer must know.
    static func failureHealth(files count: Int, reason: String) -> String {
        "Failed to update \(count) files: \(reason)"
    }

    /// The JSON body of the `PUT {base}/files` answer.
    var responseBody: [UInt8] { LegacyJSON.encode(health: health) }
}

/// SHA-256 digests from earlier listings, so a listing reads only files that changed: the engine's
/// ``StatCache`` (same identity and racy rules) shared by concurrent requests behind a mutex.
final class LegacyDigestCache: Sendable {
    private struct State {
        var cache = StatCache<String>()
        var hashedFiles = 0
    }

    private let state: Mutex<State>

    /// An empty cache; `racyInterval` defaults to two seconds, the coarsest timestamps in use.
    init(racyInterval: Int64 = 2_000_000_000) {
        var initial = State()
        initial.cache.racyInterval = racyInterval
        state = Mutex(initial)
    }

    /// How many files listings have hashed so far (not served from the cache).
    var hashedFileCount: Int { state.withLock { $0.hashedFiles } }

    /// The number of remembered digests.
    var count: Int { state.withLock { $0.cache.count } }

    func digest(for path: String, identity: StatCache<String>.Identity) -> String? {
        state.withLock { $0.cache.digest(for: path, identity: identity) }
    }

    func remember(_ path: String, identity: StatCache<String>.Identity, digest: String, scanStart: Int64) {
        state.withLock { state in
            state.hashedFiles += 1
            state.cache.remember(path, identity: identity, digest: digest, scanStart: scanStart)
        }
    }

    func keepOnly(_ paths: Set<PathKey>) {
        state.withLock { $0.cache.keepOnly(paths) }
    }
}
