import AsyncHTTPClient
import Glibc
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix

/// Forwards every request that is not for the controller to the backend on 127.0.0.1, streaming bodies
/// both ways over kept-alive connections, with X-Forwarded-For/-Proto/-Host added.
///
/// While the backend restarts, a request that finds no one listening waits (up to ``waitLimit``) for it
/// to come back instead of failing; when it does not, the client gets a 503 whose body says why. Any
/// other failure to reach the backend is a 502 that says what went wrong.
struct ReverseProxy: Sendable {
    /// Headers that describe one connection, not the message, so they are not forwarded (RFC 9110 §7.6.1).
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    let client: HTTPClient
    let backendPort: Int
    let waitLimit: Duration
    /// Waits until the backend accepts connections; false when it did not within the time given.
    let waitForBackend: @Sendable (Duration) async -> Bool

    func respond(to request: Request, context: ControllerRequestContext) async throws -> Response {
        let length = request.headers[.contentLength].flatMap { Int64($0) }
        let hasBody = (length ?? 0) > 0 || request.headers[.transferEncoding] != nil
        // Only a request without a body can be sent again after a refused connection.
        let retryable = !hasBody
        var outbound = HTTPClientRequest(url: "http://127.0.0.1:\(backendPort)\(request.uri.description)")
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHop.contains(field.name.canonicalName) {
            outbound.headers.add(name: field.name.rawName, value: field.value)
        }
        Self.addForwardingHeaders(
            to: &outbound.headers, peer: context.remoteAddress?.ipAddress, authority: request.head.authority)
        if hasBody {
            // The body stream can be read once: it is handed over only when there is a body to send.
            outbound.body = .stream(request.body, length: length.map { .known($0) } ?? .unknown)
        }

        let deadline = ContinuousClock.now + waitLimit
        while true {
            do {
                let response = try await client.execute(outbound, timeout: .hours(1))
                var headers = HTTPFields()
                for (name, value) in response.headers where !Self.hopByHop.contains(name.lowercased()) {
                    if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
                }
                return Response(
                    status: .init(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
                    headers: headers, body: ResponseBody(asyncSequence: response.body))
            } catch where Self.isUnreachable(error) {
                let remaining = deadline - ContinuousClock.now
                guard retryable, remaining > .zero else {
                    return Self.failure(.serviceUnavailable, notListening)
                }
                guard await waitForBackend(remaining) else {
                    return Self.failure(.serviceUnavailable, didNotComeBack)
                }
            } catch {
                return Self.failure(.badGateway, "the app on port \(backendPort) failed to answer: \(error)")
            }
        }
    }

    /// Why a request that arrived with no app listening cannot wait for it.
    var notListening: String {
        "the app is not accepting connections on port \(backendPort) (it is restarting, has crashed or is still starting); try again in a moment"
    }

    /// Why a request that waited for the app gave up.
    var didNotComeBack: String {
        "the app did not start accepting connections on port \(backendPort) within \(waitLimit); see the app's output in the controller's log or `cf fast-push-status`"
    }

    /// Adds the client's address to X-Forwarded-For and sets X-Forwarded-Proto and -Host unless a proxy in
    /// front of the controller (the Cloud Foundry router) already did.
    static func addForwardingHeaders(to headers: inout HTTPHeaders, peer: String?, authority: String?) {
        if let peer {
            let previous = headers.first(name: "X-Forwarded-For")
            headers.replaceOrAdd(name: "X-Forwarded-For", value: previous.map { "\($0), \(peer)" } ?? peer)
        }
        if headers.first(name: "X-Forwarded-Proto") == nil {
            headers.replaceOrAdd(name: "X-Forwarded-Proto", value: "http")
        }
        if headers.first(name: "X-Forwarded-Host") == nil, let host = authority {
            headers.replaceOrAdd(name: "X-Forwarded-Host", value: host)
        }
    }

    /// True when the app is not there to answer: nothing listens on its port, or a kept-alive connection
    /// to an app that has since stopped was reset or closed (the error types differ with where NIO noticed:
    /// a pooled connection the app closed while stopping fails the write with `ioOnClosedChannel`).
    static func isUnreachable(_ error: any Error) -> Bool {
        if let error = error as? IOError { return [ECONNREFUSED, ECONNRESET, EPIPE].contains(error.errnoCode) }
        if case .ioOnClosedChannel? = error as? ChannelError { return true }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.contains { isUnreachable($0.error) }
        }
        if let error = error as? HTTPClientError {
            return error == .connectTimeout || error == .remoteConnectionClosed
        }
        return false
    }

    static func failure(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: failureBody(message)))
    }

    static func failureBody(_ message: String) -> ByteBuffer {
        ByteBuffer(string: "fastpush controller: \(message)\n")
    }
}
