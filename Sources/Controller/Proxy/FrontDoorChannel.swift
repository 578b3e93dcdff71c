import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 child channel with an ``UpgradeTunnel`` in front of it, so that connections that
/// upgrade to WebSocket reach the app as byte tunnels and all others are served as HTTP.
struct FrontDoorChannel: ServerChildChannel {
    let http1: HTTP1Channel
    let basePath: String
    let proxy: ReverseProxy

    /// The server builder for an ``Application``.
    static func server(basePath: String, proxy: ReverseProxy) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            FrontDoorChannel(http1: HTTP1Channel(responder: responder), basePath: basePath, proxy: proxy)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(UpgradeTunnel(basePath: basePath, proxy: proxy))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http1.setup(channel: channel, logger: logger)
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
