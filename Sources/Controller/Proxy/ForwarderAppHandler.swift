import NIOCore
import NIOHTTP1

/// The app's side of a ``RequestForwarder``: the app's answers go to the client part by part, read only
/// while the client's connection can take them.
final class ForwarderAppHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let forwarder: RequestForwarder
    private var context: ChannelHandlerContext?
    private var readPending = false
    /// Why the connection is ending, when it ends on an error.
    private var failure: (any Error)?

    init(forwarder: RequestForwarder) {
        self.forwarder = forwarder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        forwarder.appResponded(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        forwarder.flushToClient()
    }

    func read(context: ChannelHandlerContext) {
        if forwarder.clientIsWritable { context.read() } else { readPending = true }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        forwarder.appWritabilityChanged(context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        forwarder.appClosed(context.channel, failure: failure)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or an answer that is not HTTP: the connection ends, and the forwarder hears why.
        if failure == nil { failure = error }
        context.close(promise: nil)
    }

    /// Called when the client's connection drained or filled up.
    func clientWritabilityChanged(_ isWritable: Bool) {
        guard isWritable, readPending, let context else { return }
        readPending = false
        context.read()
    }
}

@available(*, unavailable)
extension ForwarderAppHandler: Sendable {}
