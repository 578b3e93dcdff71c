import AsyncHTTPClient
import DeltaSync
import Foundation
import NIOCore
import NIOHTTP1

/// The sync API of one controller over HTTP: v2 (manifest, signatures, push, status) and the original API.
struct ControllerClient: Sendable {
    /// What a request for the server's manifest found.
    enum ManifestReply: Sendable {
        /// The server's tree still has the root digest the client named.
        case unchanged
        /// The manifest, and what the controller left out of it and why (``skippedField``).
        case manifest(Manifest, skipped: [String])
        /// The controller only speaks the original API (`GET/PUT /files`).
        case legacyOnly
    }

    /// What a push came to.
    enum PushReply: Sendable {
        case applied(PushAnswer)
        /// A precondition failed: the server's files are not what the client thought; nothing was written.
        case conflict(Conflict)
        /// The push named by `held` is no longer held: the whole push must be sent again.
        case heldPushGone(String)
        /// The controller does not read what the bundle uses (a shared dictionary): it must be sent without.
        case bundleNotUnderstood(String)
    }

    /// The answer to a tree summary, and what the controller reads beyond the formats' first versions.
    struct TreeAnswer: Sendable {
        var difference: TreeDifference
        var features: [String]
        /// What the controller left out of its tree and why (``skippedField``).
        var skipped: [String]
    }

    /// The answer field in which the controller names, one per field, what its tree leaves out (an entry it
    /// cannot read) and why: `"path": reason`.
    static let skippedField = "X-Fastpush-Skipped"

    /// A 409 answer to a push. A controller that holds what did not conflict names the conflicted paths and the
    /// id to complete the push with; an older one gives only the message.
    struct Conflict: Sendable {
        var message: String
        var paths: [String] = []
        var held: String? = nil
    }

    let endpoint: ControllerEndpoint
    let trace: HTTPTrace?
    /// Called with the bytes of a request body sent so far, for a progress bar.
    var uploadProgress: (@Sendable (Int, Int) -> Void)?
    /// Adds up the bytes of every request this client (and every copy of it) makes; `nil` counts nothing.
    var traffic: TrafficCounter?

    init(endpoint: ControllerEndpoint, trace: HTTPTrace? = nil) {
        self.endpoint = endpoint
        self.trace = trace
    }

    /// This client, counting its requests' bytes into `traffic`.
    func counting(into traffic: TrafficCounter) -> ControllerClient {
        var counted = self
        counted.traffic = traffic
        return counted
    }

    func manifest(ifNoneMatch root: FileDigest? = nil) async throws -> ManifestReply {
        let response = try await send(
            "v2/manifest", headers: root.map { [("If-None-Match", "\"\($0.hex)\"")] } ?? [], limit: 1 << 30)
        switch response.status {
        case 304: return .unchanged
        case 200:
            let manifest = try decoding("manifest") { () throws(DeltaSyncError) in try Manifest(decoding: response.body) }
            return .manifest(manifest, skipped: response.headers[Self.skippedField])
        case 404, 405: return .legacyOnly
        default: throw failure(response, doing: "reading the app's manifest")
        }
    }

    /// The server's tree where it differs from the one `summary` describes; `nil` from a controller older than
    /// the tree exchange (or the original one), which the caller then asks for its whole manifest.
    func difference(for summary: TreeSummary) async throws -> TreeAnswer? {
        let response = try await send("v2/difference", method: .POST, body: summary.encoded(), limit: 1 << 30)
        switch response.status {
        case 200:
            let difference = try decoding("tree difference") { () throws(DeltaSyncError) in try TreeDifference(decoding: response.body) }
            let features = response.headers[WireFeature.field].flatMap { $0.split(separator: ",") }
            return TreeAnswer(
                difference: difference, features: features.map { $0.trimmingCharacters(in: .whitespaces) },
                skipped: response.headers[Self.skippedField])
        // No such route, method or feature. A 404 from the router (no such app or instance) is no answer of the
        // controller's.
        case 404 where response.headers["X-Cf-Routererror"].isEmpty, 405, 501: return nil
        default: throw failure(response, doing: "comparing the app's files")
        }
    }

    /// The server's signatures of `paths`; files it does not have as regular files are left out.
    ///
    /// The paths travel separated by line feeds, the form every controller reads, unless a name holds a line
    /// break: then as a ``PathList``, which carries any name (a controller older than it finds no such paths, and
    /// those files go whole).
    func signatures(for paths: [String]) async throws -> [PathKey: Signature] {
        guard !paths.isEmpty else { return [:] }
        let body = paths.contains { $0.utf8.contains(0x0A) || $0.utf8.contains(0x0D) }
            ? PathList.encoded(paths) : Array(paths.joined(separator: "\n").utf8)
        let response = try await send("v2/signatures", method: .POST, body: body, limit: 1 << 34)
        guard response.status == 200 else { throw failure(response, doing: "reading signatures") }
        return try decoding("signatures") { () throws(DeltaSyncError) in
            var reader = ByteReader(MemorySource(response.body), what: "signatures answer")
            var signatures: [PathKey: Signature] = [:]
            while try !reader.atEnd() {
                let path = String(decoding: try reader.lengthPrefixed("path", limit: RelativePath.maximumLength), as: UTF8.self)
                signatures[PathKey(path)] = try Signature(decoding: try reader.lengthPrefixed("signature", limit: 1 << 34))
            }
            return signatures
        }
    }

    /// Sends a push bundle; with `completing`, the bundle completes the push the controller holds under that id
    /// (it then holds only the conflicted paths' operations).
    func push(_ bundle: [UInt8], dryRun: Bool, restart: PushOptions.Restart = .rules, completing held: String? = nil)
        async throws -> PushReply
    {
        var query: [String] = []
        if dryRun { query.append("dry_run=true") }
        if restart != .rules { query.append("restart=\(restart.rawValue)") }
        if let held, let escaped = held.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) {
            query.append("held=\(escaped)")
        }
        let response = try await send(
            "v2/push" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")), method: .POST, body: bundle,
            limit: 64 << 20, progress: uploadProgress)
        switch response.status {
        case 200: return .applied(try json(PushAnswer.self, response, what: "push answer"))
        case 409:
            let fields = try? JSONDecoder().decode(ConflictFields.self, from: Data(response.body))
            return .conflict(Conflict(message: Self.message(response), paths: fields?.conflicts ?? [], held: fields?.held))
        case 410 where held != nil: return .heldPushGone(Self.message(response))
        // A controller older than the bundle's flags refuses them, so nothing was written.
        case 400 where Self.message(response).contains("uses flags this controller does not know"):
            return .bundleNotUnderstood(Self.message(response))
        default: throw failure(response, doing: "pushing")
        }
    }

    /// The fields a 409 answer may add to the error.
    private struct ConflictFields: Decodable {
        var conflicts: [String]?
        var held: String?
    }

    func status() async throws -> StatusAnswer {
        let response = try await send("v2/status", limit: 16 << 20)
        guard response.status == 200 else {
            if response.status == 404 {
                throw ClientError("\(endpoint.baseURL) has no v2 status: the app runs the original Go controller, which only reports \"Running\" or not; deploy cf-fastpush-controller from this release to see more")
            }
            throw failure(response, doing: "reading the status")
        }
        return try json(StatusAnswer.self, response, what: "status")
    }

    // MARK: The original API

    /// The original API's file list: path to SHA-256 (hex).
    func legacyChecksums() async throws -> [String: String] {
        let response = try await send("files", limit: 1 << 30)
        guard response.status == 200 else { throw failure(response, doing: "listing the app's files") }
        guard let listing = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw ClientError("the controller's file list is not the JSON expected; is \(endpoint.baseURL) a cf-fastpush-controller?")
        }
        return listing.compactMapValues { ($0 as? [String: Any])?["Checksum"] as? String }
    }

    /// Uploads whole files (the JSON of `LegacyJSON.encode(files:)`); returns the controller's health message.
    func legacyUpload(_ body: [UInt8]) async throws -> String {
        let response = try await send("files", method: .PUT, body: body, limit: 1 << 20, progress: uploadProgress)
        guard response.status == 200 else { throw failure(response, doing: "uploading files") }
        return try json([String: String].self, response, what: "upload answer")["Health"] ?? ""
    }

    func legacyStatus() async throws -> String {
        let response = try await send("status", limit: 1 << 20)
        guard response.status == 200 else { throw failure(response, doing: "reading the status") }
        return try json([String: String].self, response, what: "status")["Health"] ?? ""
    }

    // MARK: HTTP

    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
        var headers: HTTPHeaders
    }

    private func send(
        _ route: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: [UInt8]? = nil,
        limit: Int, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> Response {
        var request = HTTPClientRequest(url: endpoint.url(route))
        request.method = method
        for (name, value) in endpoint.headers + headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: route == "files" ? "application/json" : "application/octet-stream")
            request.body = .stream(UploadChunks(bytes: body, progress: progress), length: .known(Int64(body.count)))
        }
        trace?.request(request, bodySize: body?.count ?? 0)
        let response: HTTPClientResponse
        do {
            response = try await ControllerHTTPClient.client(skippingCertificateValidation: endpoint.skipsCertificateValidation)
                .execute(request, timeout: .minutes(30))
        } catch {
            throw ClientError(
                ConnectionFailure(error).message(
                    reaching: "the app's controller", at: endpoint.baseURL,
                    tlsHint: endpoint.skipsCertificateValidation ? nil : endpoint.certificateHint)
                    + "; " + endpoint.unreachableHint)
        }
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: limit)
        } catch {
            throw ClientError("the controller's answer to \(method) \(route) was cut off or larger than \(ByteCount(limit)) (\(error))")
        }
        let result = Response(status: Int(response.status.code), body: Array(buffer: bytes), headers: response.headers)
        traffic?.add(sent: body?.count ?? 0, received: result.body.count)
        trace?.response(result)
        try checkInstance(result)
        return result
    }

    private func decoding<T>(_ what: String, _ body: () throws(DeltaSyncError) -> T) throws -> T {
        do { return try body() } catch {
            throw ClientError("the controller's \(what) is not valid (\(error.message)); is \(endpoint.baseURL) a FastPush controller?")
        }
    }

    private func json<T: Decodable>(_ type: T.Type, _ response: Response, what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(response.body)) } catch {
            throw ClientError("the controller's \(what) is not the JSON expected (\(error)); is \(endpoint.baseURL) a FastPush controller?")
        }
    }

    /// The text of an error answer: the JSON `error`/`message` field, or the body itself.
    static func message(_ response: Response) -> String {
        let text = String(decoding: response.body.prefix(4096), as: UTF8.self)
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
            if let message = (object["error"] as? [String: Any])?["message"] as? String { return message }
            for key in ["error", "message", "reason"] { if let message = object[key] as? String { return message } }
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The controller names the instance it is (`X-Fastpush-Instance: GUID:INDEX`); an answer from another instance than
    /// the one addressed (a router or route service that ignored `X-Cf-App-Instance`) must never count as that instance's.
    private func checkInstance(_ response: Response) throws {
        guard let wanted = endpoint.instance, let answered = response.headers[Self.instanceHeader].first else { return }
        // A controller that knows its index but not its app's GUID names the index alone.
        let index = answered.split(separator: ":").last.map(String.init) ?? answered
        let matches = answered.contains(":") ? answered.lowercased() == wanted.lowercased() : index == endpoint.instanceIndex
        guard !matches else { return }
        throw ClientError(
            "instance \(index) answered a request addressed to instance \(endpoint.instanceIndex ?? wanted): the route does not honour X-Cf-App-Instance (a route service in front of the app ignores it), so instances cannot be told apart through it; push without a route service, or to one instance's own URL with --route")
    }

    static let instanceHeader = "X-Fastpush-Instance"

    private func failure(_ response: Response, doing what: String) -> ClientError {
        if let routerError = response.headers["X-Cf-Routererror"].first {
            let instance = endpoint.instanceIndex.map { "instance \($0)" } ?? "the app"
            switch routerError {
            case "unknown_route" where endpoint.instance != nil:
                return ClientError("the router knows no \(instance) (X-Cf-Routererror: unknown_route): check the instance number with `cf app`, or that the instance is running")
            case "unknown_route":
                return ClientError("the router has no app at \(endpoint.baseURL) (X-Cf-Routererror: unknown_route): check the URL (`cf app` lists the app's routes)")
            case "invalid_cf_app_instance_header":
                return ClientError("the router refused the instance header \(endpoint.instance ?? "") (X-Cf-Routererror: invalid_cf_app_instance_header): the app GUID must be lower-case hex")
            default:
                return ClientError("the router could not reach \(instance) while \(what) (X-Cf-Routererror: \(routerError), HTTP \(response.status))")
            }
        }
        let said = Self.message(response)
        let detail = said.isEmpty ? "" : ": \(said)"
        switch response.status {
        case 401, 403:
            return ClientError(
                "the controller refused the credentials while \(what) (HTTP \(response.status))\(detail). \(endpoint.credentialsHint)")
        case 421:
            return ClientError("the request reached another instance than the one addressed while \(what)\(detail)")
        case 413:
            return ClientError("the push is too large for the controller (HTTP 413)\(detail)")
        case 502, 503, 504:
            return ClientError(
                "the app did not answer while \(what) (HTTP \(response.status))\(detail). Is it running (cf app) with cf-fastpush-controller as its start command?")
        default:
            return ClientError("the controller answered HTTP \(response.status) while \(what)\(detail)")
        }
    }
}

/// A request body handed to the HTTP client in chunks, reporting how much was taken.
private struct UploadChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let progress: (@Sendable (Int, Int) -> Void)?

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let progress: (@Sendable (Int, Int) -> Void)?
        var offset = 0

        mutating func next() async -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(offset + (256 << 10), bytes.count)
            defer { offset = end }
            progress?(end, bytes.count)
            return ByteBuffer(bytes: bytes[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, progress: progress) }
}
