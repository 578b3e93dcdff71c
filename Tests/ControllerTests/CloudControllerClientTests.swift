import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

@testable import Controller

/// The controller's own HTTPS client for the Cloud Controller, against a TLS server in the test: certificates
/// and host names are checked, answers are read whole, and a server that says too much or nothing fails in time.
@Suite struct CloudControllerClientTests {
    /// A self-signed certificate for `localhost` and 127.0.0.1 (valid 2000 to 2100), and its key; test-only.
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBaDCCAQ6gAwIBAgICEAAwCgYIKoZIzj0EAwIwFDESMBAGA1UEAwwJbG9jYWxo
        b3N0MCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAUMRIwEAYDVQQD
        DAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQkN1ELgqveS2HE
        VwayLTbfTJL4QYBmZLPOP9pbjoOTxlTCy4NqzjBfO3Ed+7PlvrEOiiMI4TfmLMmt
        dMvCYPc4o04wTDAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGCCWxvY2FsaG9z
        dIcEfwAAATAdBgNVHQ4EFgQUCpDCo4peEIUFpzvkQ5dysQdNupAwCgYIKoZIzj0E
        AwIDSAAwRQIhAPzDGPO+PavPSa8OFbfsE83tF3qQDgABeFdhR0/aSBRZAiAc+eDn
        CIm2vwhmzvuiuL/xXsR6CBJCnC2TsSfWDkACig==
        -----END CERTIFICATE-----
        """
    static let privateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+gU/Ma5Mu0NvrLna
        J/ZCCTEgA+8VclCy06MFNAuvuiChRANCAAQkN1ELgqveS2HEVwayLTbfTJL4QYBm
        ZLPOP9pbjoOTxlTCy4NqzjBfO3Ed+7PlvrEOiiMI4TfmLMmtdMvCYPc4
        -----END PRIVATE KEY-----
        """

    /// A client that trusts the test certificate (and nothing else).
    static func trustingClient() throws -> CloudControllerClient {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(certificate.utf8), format: .pem)])
        return CloudControllerClient(tlsConfiguration: configuration)
    }

    /// Serves HTTPS on `host` until `body` returns, and gives `body` the port.
    static func withServer<T>(on host: String = "127.0.0.1", _ body: (Int) async throws -> T) async throws -> T {
        let tls = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificate.utf8), format: .pem))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKey.utf8), format: .pem))))
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(CloudControllerDouble())
                }
            }
            .bind(host: host, port: 0).get()
        do {
            let result = try await body(try #require(server.localAddress?.port))
            try await server.close()
            return result
        } catch {
            try? await server.close()
            throw error
        }
    }

    @Test func answersOverVerifiedTLSByNameAndByAddress() async throws {
        let client = try Self.trustingClient()
        try await Self.withServer { port in
            for host in ["localhost", "127.0.0.1"] {
                let answer = try await client.get(
                    "https://\(host):\(port)/v3/apps/guid/permissions?x=1",
                    headers: [("Authorization", "bearer developer-token")], timeout: .seconds(60), bodyLimit: 1024)
                #expect(answer.status == 200)
                #expect(String(decoding: answer.body, as: UTF8.self).contains(#""read_sensitive_data":true"#))
            }
            let refused = try await client.get(
                "https://localhost:\(port)/v3/apps/guid/permissions", headers: [], timeout: .seconds(60),
                bodyLimit: 1024)
            #expect(refused.status == 401)
        }
    }

    @Test func anUntrustedCertificateOrAnotherNameIsRefused() async throws {
        let systemTrust = CloudControllerClient()
        try await Self.withServer { port in
            await #expect(throws: (any Error).self) {
                try await systemTrust.get(
                    "https://localhost:\(port)/v3/apps/guid/permissions", headers: [], timeout: .seconds(60),
                    bodyLimit: 1024)
            }
        }
        // Trusted, but served where the certificate does not name (127.0.0.2 is loopback too on Linux).
        let client = try Self.trustingClient()
        try await Self.withServer(on: "127.0.0.2") { port in
            await #expect(throws: (any Error).self) {
                try await client.get(
                    "https://127.0.0.2:\(port)/v3/apps/guid/permissions", headers: [], timeout: .seconds(10),
                    bodyLimit: 1024)
            }
        }
    }

    @Test func aLargeAnswerOrNoAnswerFailsInTime() async throws {
        let client = try Self.trustingClient()
        try await Self.withServer { port in
            await #expect(throws: CloudControllerClient.Failure.self) {
                try await client.get(
                    "https://localhost:\(port)/big", headers: [], timeout: .seconds(10), bodyLimit: 64 * 1024)
            }
            let start = ContinuousClock.now
            do {
                _ = try await client.get(
                    "https://localhost:\(port)/silent", headers: [], timeout: .milliseconds(500), bodyLimit: 1024)
                Issue.record("a server that never answers gave an answer")
            } catch {
                #expect("\(error)".contains("did not answer within"), "\(error)")
            }
            #expect(ContinuousClock.now - start < .seconds(5))
        }
        await #expect(throws: CloudControllerClient.Failure.self) {
            try await client.get("ftp://localhost/", headers: [], timeout: .seconds(1), bodyLimit: 1)
        }
    }

    /// Without CA certificates (a minimal container) the client is still made, so the controller starts; only its
    /// HTTPS requests fail, and the token check says the Cloud Controller cannot be reached.
    @Test func missingTrustRootsFailTheRequestNotTheStart() async throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file("/nonexistent/ca-certificates.crt")
        let client = CloudControllerClient(tlsConfiguration: configuration)
        let authorizer = CloudFoundryAuthorizer(apiURL: "https://localhost:1", applicationID: "guid", client: client)
        guard case .unavailable(let why) = await authorizer.check(bearer: "developer-token") else {
            Issue.record("a request without trust roots did not fail")
            return
        }
        #expect(why.contains("cannot reach the Cloud Controller at https://localhost:1"))
    }

    /// The token check as the controller makes it: over HTTPS, cached, and "unavailable" when TLS fails.
    @Test func theAuthorizerAsksOverHTTPS() async throws {
        try await Self.withServer { port in
            let authorizer = CloudFoundryAuthorizer(
                apiURL: "https://localhost:\(port)/", applicationID: "guid", client: try Self.trustingClient())
            #expect(await authorizer.check(bearer: "developer-token") == .allowed)
            guard case .denied(let auditor) = await authorizer.check(bearer: "auditor-token") else {
                Issue.record("an auditor's token was not denied")
                return
            }
            #expect(auditor.contains("sensitive data"))
            guard case .denied(let stolen) = await authorizer.check(bearer: "stolen-token") else {
                Issue.record("an unknown token was not denied")
                return
            }
            #expect(stolen.contains("HTTP 401"))

            let untrusting = CloudFoundryAuthorizer(
                apiURL: "https://localhost:\(port)", applicationID: "guid", client: CloudControllerClient())
            guard case .unavailable(let why) = await untrusting.check(bearer: "developer-token") else {
                Issue.record("a Cloud Controller with an untrusted certificate was believed")
                return
            }
            #expect(why.contains("cannot reach the Cloud Controller at https://localhost:\(port)"))
        }
    }
}

/// The Cloud Controller's `GET /v3/apps/guid/permissions`, for three tokens; `/big` answers 100 KB and `/silent`
/// never answers.
private final class CloudControllerDouble: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var head: HTTPRequestHead?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head, head.uri != "/silent" else { return }
            let (status, body) = answer(head)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            headers.add(name: "Content-Type", value: "application/json")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    private func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
        if head.uri == "/big" { return (.ok, String(repeating: "x", count: 100_000)) }
        guard head.uri.hasPrefix("/v3/apps/guid/permissions"), head.headers["Host"].first?.isEmpty == false else {
            return (.notFound, "{}")
        }
        switch head.headers["Authorization"].first {
        case "bearer developer-token": return (.ok, #"{"read_basic_data":true,"read_sensitive_data":true}"#)
        case "bearer auditor-token": return (.ok, #"{"read_basic_data":true,"read_sensitive_data":false}"#)
        default: return (.unauthorized, #"{"errors":[{"title":"CF-InvalidAuthToken"}]}"#)
        }
    }
}
