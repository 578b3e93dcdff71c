import AsyncHTTPClient
import NIOPosix
import NIOSSL

/// The HTTP clients every request to a controller or the Cloud Controller uses: they live as long as the process.
///
/// A refused connection fails at once instead of being retried until the request's deadline, so that a push
/// to a controller that is restarting says so promptly (and `--watch` retries on its own schedule).
enum ControllerHTTPClient {
    static let shared = make(certificateVerification: .fullVerification)

    /// For a foundation targeted with `cf api --skip-ssl-validation`: certificates are not checked.
    static let skippingCertificateValidation = make(certificateVerification: .none)

    static func client(skippingCertificateValidation skip: Bool) -> HTTPClient {
        skip ? skippingCertificateValidation : shared
    }

    private static func make(certificateVerification: CertificateVerification) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = certificateVerification
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }
}
