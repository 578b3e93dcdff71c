import NIOCore

/// The app's side of an ``UpgradeTunnel``: what the app sends goes to the client as it is, read only
/// while the client's connection can take it.
final class TunnelAppHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let client: UpgradeTunnel
    private var context: ChannelHandlerContext?
    private var readPending = false

    init(client: UpgradeTunnel) {
        self.client = client
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        client.sendToClient(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        client.flushToClient()
    }

    func read(context: ChannelHandlerContext) {
        if client.clientIsWritable { context.read() } else { readPending = true }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        client.appWritabilityChanged(context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.appClosed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
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
extension TunnelAppHandler: Sendable {}
