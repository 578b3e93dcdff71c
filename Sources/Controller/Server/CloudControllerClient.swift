import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Asks the Cloud Controller one question: `GET` a URL, over HTTPS (or plain HTTP, which tests use), and collect
/// the answer.
///
/// The controller used AsyncHTTPClient for this, which brought HTTP/2, connection pools, proxies, compression and
/// swift-configuration into the controller: about 3 MB of it, for one request per developer and minute (the
/// answers are cached). This is that request on what the controller links anyway, SwiftNIO (the proxy is built on
/// it) and NIOSSL with its BoringSSL: a connection per request, the server's certificate checked against the
/// system's trust roots and its name against the URL's host, no redirect followed, no compression asked for
/// (what the controller configured AsyncHTTPClient to do).
struct CloudControllerClient: Sendable {
    /// An answer: its status code and body.
    struct Response: Sendable, Equatable {
        var status: Int
        var body: [UInt8]
    }

    /// Why a request got no answer; its description says so for the log.
    struct Failure: Error, Sendable, CustomStringConvertible {
        let description: String
    }

    private let tls: TLSContext
    private let group: any EventLoopGroup

    /// A client that trusts what `tlsConfiguration` trusts: by default the system's certificate authorities,
    /// verifying the certificate and the host name.
    ///
    /// The TLS context (and so the system's trust roots) is made at the first HTTPS request, not here: a container
    /// without CA certificates must still start the controller, and then only the token check fails, saying why.
    init(
        tlsConfiguration: TLSConfiguration = .makeClientConfiguration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        var configuration = tlsConfiguration
        // A closing connection waits this long for the server's TLS close_notify (NIOSSL's default is 5 s); the
        // request is over by then, and a server that does not answer must not hold the caller past its timeout.
        configuration.shutdownTimeout = .milliseconds(200)
        tls = TLSContext(configuration: configuration)
        self.group = group
    }

    /// The NIOSSL context, made once when first needed; a failure is tried again next time.
    private final class TLSContext: Sendable {
        let configuration: TLSConfiguration
        let context = Mutex<NIOSSLContext?>(nil)

        init(configuration: TLSConfiguration) { self.configuration = configuration }

        func get() throws -> NIOSSLContext {
            try context.withLock { context in
                if let context { return context }
                do {
                    let made = try NIOSSLContext(configuration: configuration)
                    context = made
                    return made
                } catch {
                    throw Failure(
                        description: "cannot set up TLS (\(error)); are the system's CA certificates installed "
                            + "(the ca-certificates package)?")
                }
            }
        }
    }

    /// `GET url` with `headers`, and the answer, whatever its status.
    ///
    /// - Throws: ``Failure`` when the URL is not `http(s)://host[:port]/...`, when there is no complete answer
    ///   within `timeout` (connecting included), or when its body is over `bodyLimit` bytes; NIO's and NIOSSL's
    ///   errors when connecting or the TLS handshake fails (an untrusted certificate, a name that does not match).
    func get(_ url: String, headers: [(name: String, value: String)], timeout: Duration, bodyLimit: Int)
        async throws -> Response
    {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "https" || scheme == "http",
            let host = parsed.host(percentEncoded: false), !host.isEmpty
        else { throw Failure(description: "\(url) is not an http or https URL") }
        let port = parsed.port ?? (scheme == "https" ? 443 : 80)
        let query = parsed.query(percentEncoded: true).map { "?" + $0 } ?? ""
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: parsed.path(percentEncoded: true) + query)
        let isIPv6 = host.contains(":")
        head.headers.add(name: "Host", value: (isIPv6 ? "[\(host)]" : host) + (parsed.port.map { ":\($0)" } ?? ""))
        for header in headers { head.headers.add(name: header.name, value: header.value) }
        head.headers.add(name: "Connection", value: "close")
        // Server Name Indication takes names only; for an address, NIOSSL checks the address against the certificate.
        let serverName = isIPv6 || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
        let tls = scheme == "https" ? try self.tls.get() : nil
        let request = head

        let limit = TimeAmount.nanoseconds(
            timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        let deadline = NIODeadline.now() + limit
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(limit)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        // At the deadline the connection is closed, which ends the reading below.
        let closer = channel.channel.eventLoop.scheduleTask(deadline: deadline) { [connection = channel.channel] in
            connection.close(promise: nil)
        }
        defer { closer.cancel() }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(.head(request))
                try await outbound.write(.end(nil))
                var status: Int?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let answer):
                        status = Int(answer.status.code)
                    case .body(let bytes):
                        guard body.count + bytes.readableBytes <= bodyLimit else {
                            throw Failure(description: "the answer from \(url) is larger than \(bodyLimit) bytes")
                        }
                        body += bytes.readableBytesView
                    case .end:
                        guard let status else { break }
                        return Response(status: status, body: body)
                    }
                }
                throw Failure(description: "\(url) closed the connection before answering completely")
            }
        } catch {
            guard NIODeadline.now() < deadline else {
                throw Failure(description: "\(url) did not answer within \(timeout)")
            }
            throw error
        }
    }
}
