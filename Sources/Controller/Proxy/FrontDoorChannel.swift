import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// The controller's front door: every client connection's pipeline.
///
/// An ``UpgradeTunnel`` first turns connections that upgrade to WebSocket into byte tunnels to the app.
/// Behind the HTTP/1 codec, a ``RequestForwarder`` forwards the app's requests to the app on the
/// connection's own event loop, and passes requests for the controller's paths on to Hummingbird's
/// HTTP/1 handling, which serves the control routes.
struct FrontDoorChannel: ServerChildChannel {
    let http1: HTTP1Channel
    let basePath: String
    let proxy: ReverseProxy
    let timeouts: ConnectionTimeouts

    /// The server builder for an ``Application``.
    static func server(basePath: String, proxy: ReverseProxy, timeouts: ConnectionTimeouts) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            FrontDoorChannel(
                http1: HTTP1Channel(responder: responder), basePath: basePath, proxy: proxy, timeouts: timeouts)
        }
    }

    /// True for the controller's own paths: the base path and everything under it, with or without a query.
    static func isControlPath(_ target: String, basePath: String) -> Bool {
        guard target.hasPrefix(basePath) else { return false }
        guard let next = target.utf8.dropFirst(basePath.utf8.count).first else { return true }
        return next == UInt8(ascii: "/") || next == UInt8(ascii: "?") || next == UInt8(ascii: "#")
    }

    /// The pipeline of Hummingbird's HTTP/1 channel with the tunnel and the forwarder added. The forwarder
    /// keeps pipelined requests in order, whether it or the control routes answer them.
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(UpgradeTunnel(basePath: basePath, proxy: proxy))
            var limits = NIOHTTPDecoderLimitConfiguration()
            let decoder = http1.configuration.httpDecoder
            limits.maxHeaderFieldSize = decoder.maxHeaderFieldSize
            limits.maxHeaderListSize = decoder.maxHeaderListSize
            limits.maxHeaderFieldCount = decoder.maxHeaderFieldCount
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
            try pipeline.addHandler(RequestForwarder(basePath: basePath, proxy: proxy, timeouts: timeouts, limits: limits))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
