import NIOCore

/// The client's side of a proxied connection, as the app's side (``AppConnectionHandler``) sees it: an
/// ``UpgradeTunnel`` or a ``RequestForwarder``, on the same event loop as the app's connection.
protocol AppConnectionOwner: AnyObject {
    /// What the app's connection reads: bytes for a tunnel, HTTP answer parts for the forwarder.
    associatedtype AppInbound
    /// What is written to the app's connection.
    associatedtype AppOutbound

    var clientIsWritable: Bool { get }
    /// Something the app sent, for the client.
    func appSent(_ part: AppInbound)
    func flushToClient()
    func appWritabilityChanged(_ isWritable: Bool)
    /// The app's connection `app` closed, on `failure` when it broke.
    func appClosed(_ app: any Channel, failure: (any Error)?)
}

/// The app's side of a proxied connection: what the app sends goes to the client's side, read only while
/// the client's connection can take it, so a slow client slows the app instead of filling memory.
final class AppConnectionHandler<Owner: AppConnectionOwner>: ChannelDuplexHandler {
    typealias InboundIn = Owner.AppInbound
    typealias OutboundIn = Owner.AppOutbound
    typealias OutboundOut = Owner.AppOutbound

    private let owner: Owner
    private var context: ChannelHandlerContext?
    private var readPending = false
    /// Why the connection is ending, when it ends on an error.
    private var failure: (any Error)?

    init(owner: Owner) {
        self.owner = owner
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner.appSent(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner.flushToClient()
    }

    func read(context: ChannelHandlerContext) {
        if owner.clientIsWritable { context.read() } else { readPending = true }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner.appWritabilityChanged(context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        owner.appClosed(context.channel, failure: failure)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset, or an answer that is not HTTP: the connection ends, and the owner hears why.
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
extension AppConnectionHandler: Sendable {}
