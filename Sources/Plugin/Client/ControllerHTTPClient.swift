import AsyncHTTPClient
import NIOPosix

/// The HTTP client every controller request uses: it lives as long as the process.
///
/// A refused connection fails at once instead of being retried until the request's deadline, so that a push
/// to a controller that is restarting says so promptly (and `--watch` retries on its own schedule).
enum ControllerHTTPClient {
    static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()
}
