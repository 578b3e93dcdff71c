import Glibc
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix

/// The reverse proxy's settings and the rules its two paths share: ``RequestForwarder`` for HTTP requests
/// and ``UpgradeTunnel`` for connections that leave HTTP. Every request that is not for the controller
/// goes to the app on 127.0.0.1 with X-Forwarded-For/-Proto/-Host added.
struct ReverseProxy: Sendable {
    /// Headers that describe one connection, not the message, so they are not forwarded (RFC 9110 §7.6.1).
    static let hopByHop = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    let backendPort: Int
    /// How long a request waits for an app that is not accepting connections.
    let waitLimit: Duration
    /// Whether the backend is up now; false while it starts, stops or restarts.
    let backendIsUp: @Sendable () -> Bool
    /// Waits (at most the time given) until the backend accepts connections, and says how the wait ended.
    let waitForBackend: @Sendable (Duration) async -> BackendReadiness

    /// Opens a connection to the app on `loop`: the client connection's own, so that both sides of the
    /// proxied connection call each other directly. The address is given, not a host name: nothing is
    /// resolved, which matters for apps that close their connection after every answer (HTTP/1.0 servers
    /// such as the default backend), where every request opens a connection.
    func connectToBackend(on loop: any EventLoop) -> EventLoopFuture<any Channel> {
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: "127.0.0.1", port: backendPort)
        } catch {
            return loop.makeFailedFuture(error)
        }
        return ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(to: address)
    }

    /// Waits (at most `limit`, off the event loop) for the backend to accept connections, then calls `then`
    /// back on `loop` with how the wait ended.
    func waitForBackend(_ limit: Duration, on loop: any EventLoop, then: @escaping (BackendReadiness) -> Void) {
        let callback = NIOLoopBound(then, eventLoop: loop)
        let wait = waitForBackend
        Task {
            let readiness = await wait(limit)
            loop.execute { callback.value(readiness) }
        }
    }

    /// Why a request that arrived with no app listening cannot wait for it.
    var notListening: String {
        "the app is not accepting connections on port \(backendPort) (it is restarting, has crashed or is still starting); try again in a moment"
    }

    /// Why a request that waited for the app gave up: the wait ended as `readiness` says.
    func unavailable(_ readiness: BackendReadiness) -> String {
        let advice = "see the app's output in the controller's log or `cf fast-push-status`"
        switch readiness {
        case .ready, .timedOut:
            return "the app did not start accepting connections on port \(backendPort) within \(waitLimit); \(advice)"
        case .exited(let status):
            let explanation = status.explanation.map { ": \($0)" } ?? ""
            return "the app is not running: it ended with \(status)\(explanation); \(advice)"
        case .stopped:
            return "the app is not running: it was stopped or could not be started; \(advice)"
        }
    }

    /// Removes the fields that describe one connection: the hop-by-hop ones and those the Connection
    /// field names.
    static func removeHopByHopFields(from headers: inout HTTPHeaders) {
        func isHopByHop(_ name: String) -> Bool { hopByHop.contains { sameFieldName(name, $0) } }
        // Most messages have none: one pass that changes nothing finds that out.
        guard headers.contains(where: { isHopByHop($0.name) }) else { return }
        let named = headers[canonicalForm: "connection"]
        headers = HTTPHeaders(headers.compactMap { field in
            let dropped = isHopByHop(field.name) || named.contains { sameFieldName(field.name, $0) }
            return dropped ? nil : (field.name, field.value)
        })
    }

    /// Field names are the same without regard to ASCII case (RFC 9110 §5.1).
    private static func sameFieldName(_ name: some StringProtocol, _ other: some StringProtocol) -> Bool {
        func lower(_ byte: UInt8) -> UInt8 { (65...90).contains(byte) ? byte | 0x20 : byte }
        return name.utf8.count == other.utf8.count && zip(name.utf8, other.utf8).allSatisfy { lower($0) == lower($1) }
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

    /// True when a connection to the app failed because the app is not there to answer: nothing listens on
    /// its port, or it reset or closed the connection (it is stopping).
    static func isUnreachable(_ error: any Error) -> Bool {
        if let error = error as? IOError { return [ECONNREFUSED, ECONNRESET, EPIPE].contains(error.errnoCode) }
        if case .ioOnClosedChannel? = error as? ChannelError { return true }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.contains { isUnreachable($0.error) }
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
