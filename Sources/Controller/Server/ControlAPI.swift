import DeltaSync
import HTTPTypes
import Hummingbird
import NIOCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The routes under the base path: the v2 sync protocol (`/v2/...`) and the original controller's API
/// (`/files`, `/restart`, `/status`), all behind ``ControlAuthMiddleware``, and, when the controller knows which
/// instance it is, behind ``InstanceCheckMiddleware`` first.
///
/// v2 routes (bodies and answers are documented in docs/CONTROLLER.md):
/// - `GET  v2/manifest`: the app's manifest (binary); `If-None-Match: "<root digest>"` answers 304 when
///   nothing changed, so "is there anything to push" costs one small request.
/// - `POST v2/difference`: the app's tree where it differs from the client's, whose ``TreeSummary`` is the body;
///   answered with a ``TreeDifference``, so a push without a cache learns what the server has in proportion to
///   what differs rather than to the tree.
/// - `POST v2/signatures`: signatures of the paths in the body (a ``PathList``, or newline-separated from released
///   clients).
/// - `POST v2/push[?dry_run=true][&held=ID]`: apply a push bundle as one batch, then do what the restart rules
///   decide (run commands, signal or restart the backend, or say a full `cf push` is needed). A 409 names every
///   conflicted path and the id under which the other operations are held; `held=ID` completes that push.
/// - `GET  v2/status`: the backend, the last push, the root digest and the container's identity.
struct ControlAPI: Sendable {
    let config: ControllerConfig
    let pushes: PushService
    let backend: BackendSupervisor
    let legacy: LegacyFileAPI
    let identity: ContainerIdentity
    /// Push bodies (v2 and legacy) held at once: one being applied, one arriving behind it.
    let bodies = BodyAllowance(slots: ControlAPI.bodiesHeldAtOnce)
    static let bodiesHeldAtOnce = 2

    func register(
        on router: Router<ControllerRequestContext>, token: String?, openWithoutToken: Bool,
        cloudFoundry: CloudFoundryAuthorizer?, instance: InstanceIdentity?
    ) {
        // On the router, not the group: it runs before authentication, and its field is also on the answers to
        // paths under the base path that are no route. (The router sees control requests only.)
        if let instance { router.add(middleware: InstanceCheckMiddleware(identity: instance)) }
        let group = router.group(RouterPath(config.basePath))
            .add(
                middleware: ControlAuthMiddleware<ControllerRequestContext>(
                    token: token, openWithoutToken: openWithoutToken, cloudFoundry: cloudFoundry))
        group.get("v2/manifest") { request, _ in try await manifest(request) }
        group.post("v2/difference") { request, _ in try await difference(request) }
        group.post("v2/signatures") { request, _ in try await signatures(request) }
        group.post("v2/push") { request, _ in try await bodies.holding { try await push(request) } }
        group.get("v2/status") { _, _ in try await status() }
        group.get("files") { _, _ in try await legacyList() }
        group.put("files") { request, _ in try await bodies.holding { try await legacyUpload(request) } }
        group.post("restart") { _, _ in try await legacyRestart() }
        group.get("status") { _, _ in await legacyStatus() }
    }

    // MARK: v2

    func manifest(_ request: Request) async throws -> Response {
        let (manifest, skipped) = try await mapped { () throws(DeltaSyncError) in try await pushes.scan() }
        var headers = Self.manifestFields(manifest, skipped: skipped)
        if request.headers[.ifNoneMatch] == headers[.eTag] {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/octet-stream"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: manifest.encoded())))
    }

    func difference(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.summaryLimit)
        let summary = try await mapped { () throws(DeltaSyncError) in
            let summary = try TreeSummary(decoding: Array(buffer: body))
            for root in summary.roots where !root.isEmpty { try RelativePath.validate(root) }
            return summary
        }
        let (manifest, skipped) = try await mapped { () throws(DeltaSyncError) in try await pushes.scan() }
        var headers = Self.manifestFields(manifest, skipped: skipped)
        headers[.contentType] = "application/octet-stream"
        headers[Self.featuresField] = WireFeature.all.joined(separator: ",")
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: manifest.difference(for: summary).encoded())))
    }

    static let featuresField = HTTPField.Name(WireFeature.field)!

    /// The largest tree summary read: 10 bytes a directory, so about 800,000 directories.
    static let summaryLimit = 8 << 20

    /// The fields of every answer about the app's tree: its root digest as the tag, and what the scan left out.
    private static func manifestFields(_ manifest: Manifest, skipped: [TreeScanner.SkippedEntry]) -> HTTPFields {
        var headers: HTTPFields = [.eTag: "\"\(manifest.rootDigest.hex)\""]
        for line in skippedLines(skipped) { headers.append(HTTPField(name: skippedField, value: line)) }
        return headers
    }

    /// The field of the manifest's answer that names, one per line, what the scan left out and why.
    static let skippedField = HTTPField.Name("X-Fastpush-Skipped")!

    /// `"path": reason` for each entry left out, at most 20 and then how many more (the log has them all).
    static func skippedLines(_ skipped: [TreeScanner.SkippedEntry]) -> [String] {
        let shown = skipped.prefix(20).map { "\(RelativePath.quoted($0.path)): \($0.reason)" }
        return skipped.count > shown.count ? shown + ["and \(skipped.count - shown.count) more (see the controller's log)"] : shown
    }

    func signatures(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 4 << 20)
        let found = try await mapped { () throws(DeltaSyncError) in
            try await pushes.signatures(for: try PathList.decoded(Array(buffer: body)))
        }
        var writer = ByteWriter()
        for (path, signature) in found {
            writer.lengthPrefixed(Array(path.utf8))
            writer.lengthPrefixed(signature.encoded())
        }
        return Response(
            status: .ok, headers: [.contentType: "application/octet-stream"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    func push(_ request: Request) async throws -> Response {
        // An unknown word is refused rather than read as false: a client that asked for a dry run in words the
        // controller does not know must not get a real push.
        let dryRun: Bool
        switch request.uri.queryParameters.get("dry_run").map({ String($0) }) {
        case nil, "false", "0": dryRun = false
        case "true", "1": dryRun = true
        case let word?: return Self.error(.badRequest, "dry_run=\(word) is not understood: use dry_run=true or dry_run=false")
        }
        let heldID = request.uri.queryParameters.get("held").map { String($0) }
        let requested = request.uri.queryParameters.get("restart").map { String($0) }
        let override = requested.flatMap { RestartOverride(rawValue: $0) }
        if let requested, override == nil {
            return Self.error(.badRequest, "restart=\(requested) is not understood: use restart=always or restart=never")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: config.maxPushBytes)
        } catch {
            return Self.error(
                .contentTooLarge,
                "the push is larger than max_push_bytes (\(config.maxPushBytes) bytes); raise it in the controller's configuration or push fewer files at once"
            )
        }
        let received = body.readableBytes
        let bundle = try await mapped { () throws(DeltaSyncError) in
            let bundle = try PushBundle(decoding: Array(buffer: body))
            for operation in bundle.operations where !legacy.isInBackendDirectories(operation.path) {
                throw DeltaSyncError(
                    .invalidPath,
                    "push refused: \(RelativePath.quoted(operation.path)) is outside backend_dirs (\(config.backendDirectories.map { $0.isEmpty ? "./" : $0 }.joined(separator: " ")))"
                )
            }
            return bundle
        }
        do {
            let answer = try await pushes.exclusively {
                try await perform(bundle, dryRun: dryRun, heldID: heldID, override: override, bytesReceived: received)
            }
            return Self.json(answer)
        } catch let refusal as PushService.PushFailure {
            switch refusal {
            case .engine(let error): throw Self.httpError(error)
            case .conflict(let error, let heldID):
                return Self.json(ConflictAnswer(error, heldID: heldID), status: .conflict)
            case .heldPushGone:
                return Self.json(
                    ConflictAnswer(
                        message: "the push this one completes is no longer held (another push conflicted or \(PushService.heldFor.forPeople) passed): send it whole"),
                    status: .gone)
            }
        }
    }

    /// Applies a push, decides what the app needs with the rules the push leaves, and (unless a dry run) runs
    /// the commands and signals or restarts the backend.
    private func perform(
        _ bundle: PushBundle, dryRun: Bool, heldID: String?, override: RestartOverride?, bytesReceived: Int
    ) async throws -> PushAnswer {
        let (result, appRules) = try await pushes.apply(bundle, dryRun: dryRun, completing: heldID)
        let environment = backend.configuration.processEnvironment
        let decision = PushDecision(
            result: result, appRules: appRules, config: config, root: pushes.root, searchPath: environment["PATH"],
            override: override)
        var answer = PushAnswer(result: result, bytesReceived: bytesReceived, decision: decision)
        guard !dryRun else { return answer }

        let runner = CommandRunner(
            workingDirectory: pushes.root, environment: environment, timeout: config.commandTimeout,
            passThrough: backend.configuration.passThrough)
        await DecisionExecutor(backend: backend, runner: runner).carryOut(decision, into: &answer)
        answer.rootDigest = try await mapped { () throws(DeltaSyncError) in try await pushes.manifest() }.rootDigest.hex
        answer.container = identity
        await pushes.record(
            .init(
                finishedAt: Int64(Date().timeIntervalSince1970), files: result.entries.count,
                bytesWritten: result.bytesWritten, bytesReceived: bytesReceived, restarted: answer.restart,
                action: answer.action, reasons: answer.reasons))
        return answer
    }

    func status() async throws -> Response {
        let snapshot = await backend.snapshot()
        let root = try await mapped { () throws(DeltaSyncError) in try await pushes.manifest() }.rootDigest.hex
        return Self.json(
            StatusAnswer(
                backend: .init(snapshot), lastPush: await pushes.lastPush, rootDigest: root, container: identity,
                recentOutput: backend.recentOutput()))
    }

    // MARK: The original API

    func legacyList() async throws -> Response {
        let body = try legacyMapped { () throws(ControllerError) in try legacy.listingBody() }
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    func legacyUpload(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: config.maxPushBytes)
        let uploads = try legacyMapped { () throws(ControllerError) in try legacy.decodeUpload(Array(buffer: body)) }
        // In the push turn, as a v2 push: the batch goes through the same applier, one push at a time.
        let outcome = try await pushes.exclusively { [legacy, backend] () async -> Result<LegacyApplyResult, ControllerError> in
            let result: LegacyApplyResult
            do throws(ControllerError) { result = try legacy.apply(uploads) } catch { return .failure(error) }
            if result.needsRestart { _ = try? await backend.restart() }
            return .success(result)
        }
        switch outcome {
        case .success(let result):
            return Self.json(["Health": result.health])
        case .failure(let error):
            // The original answered a failed write with its Health count; old plugins print that field, so it
            // carries the reason too, beside the error status and the usual error object.
            let status = Self.status(of: error.code)
            if status.code >= 500 { ControllerLog.warning("upload through the original API: \(error.message)") }
            let answer = LegacyFailure(
                health: LegacyApplyResult.failureHealth(files: uploads.count, reason: error.message),
                error: .init(message: error.message))
            var response = Self.json(answer)
            response.status = status
            return response
        }
    }

    /// The answer to a legacy upload that changed nothing.
    private struct LegacyFailure: Encodable {
        struct Message: Encodable { var message: String }
        var health: String
        var error: Message

        enum CodingKeys: String, CodingKey {
            case health = "Health"
            case error
        }
    }

    func legacyRestart() async throws -> Response {
        Task { _ = try? await backend.restart() }
        return Self.json(["Health": "Restarting"])
    }

    func legacyStatus() async -> Response {
        let running = await backend.snapshot().state == .running
        return Self.json(["Health": running ? "Running" : "Not-Running"])
    }

    // MARK: Answers

    /// Runs an engine call, turning its error into an HTTP error whose body says what was wrong (``httpError(_:)``).
    private func mapped<T>(_ body: () async throws(DeltaSyncError) -> T) async throws -> T {
        do { return try await body() } catch { throw Self.httpError(error) }
    }

    /// An engine error as an HTTP error whose body says what was wrong. Failures the operator must act on (a full
    /// disk, an I/O error) are also logged.
    private static func httpError(_ error: DeltaSyncError) -> HTTPError {
        let status = status(of: ControllerError.Code(error.code))
        if status.code >= 500 { ControllerLog.warning(error.message) }
        return HTTPError(status, message: error.message)
    }

    private func legacyMapped<T>(_ body: () throws(ControllerError) -> T) throws -> T {
        do { return try body() } catch { throw HTTPError(Self.status(of: error.code), message: error.description) }
    }

    /// The HTTP status of each kind of failure.
    static func status(of code: ControllerError.Code) -> HTTPResponse.Status {
        switch code {
        case .conflict: .conflict
        case .limitExceeded: .contentTooLarge
        case .io: .internalServerError
        case .insufficientStorage: insufficientStorage
        default: .badRequest
        }
    }

    /// 507: the server's disk is full (RFC 4918 §11.5); the push may succeed once space is freed.
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        ReverseProxy.failure(status, message)
    }
}
