import NIOCore
import NIOHTTP1
import NIOPosix

/// The first handler of every client connection. It reads the connection's first request head; when that
/// request asks to leave HTTP (a WebSocket, which dev servers use for live reload) and is not for the
/// controller, the connection becomes a byte tunnel to the app. The app answers the upgrade itself, so
/// every subprotocol and extension works as it would directly. Any other connection gets its bytes handed
/// on to the HTTP server, and this handler leaves the pipeline: it costs nothing after the first head.
///
/// Only a connection's first request can upgrade; browsers and WebSocket libraries open a new connection
/// for each WebSocket. While the app restarts, an upgrade waits for it like any proxied request.
///
/// Both connections live on one event loop, so the two halves of the tunnel call each other directly.
/// Each side reads only while the other can take its bytes, so a slow reader slows the writer instead of
/// filling memory.
final class UpgradeTunnel: ChannelDuplexHandler, RemovableChannelHandler, AppConnectionOwner {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias AppInbound = ByteBuffer
    typealias AppOutbound = ByteBuffer

    /// A head longer than this is left to the HTTP server, which refuses what is too large.
    static let headLimit = 64 * 1024

    /// Sent up the pipeline when the connection becomes a tunnel: the HTTP handlers behind will see no request
    /// on it, and must not time it out for that.
    struct Began: Sendable {}

    private enum State {
        /// Collecting the first request head.
        case reading(ByteBuffer)
        /// Connecting to the app; holds what the client sent after the head.
        case connecting(ByteBuffer)
        case tunnelling(app: any Channel, handler: AppConnectionHandler<UpgradeTunnel>)
        case closed
    }

    private let basePath: String
    private let proxy: ReverseProxy
    private var state = State.reading(ByteBuffer())
    private var context: ChannelHandlerContext?
    /// A read the HTTP side asked for while the app's connection could take no more.
    private var readPending = false

    init(basePath: String, proxy: ReverseProxy) {
        self.basePath = basePath
        self.proxy = proxy
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        switch state {
        case .reading(var buffer):
            if buffer.readableBytes == 0 { buffer = bytes } else { buffer.writeImmutableBuffer(bytes) }
            let view = buffer.readableBytesView
            if let end = view.firstRange(of: UpgradeRequestHead.terminator) {
                if let head = UpgradeRequestHead(view[view.startIndex..<end.lowerBound]),
                    !FrontDoorChannel.isControlPath(head.path, basePath: basePath)
                {
                    buffer.moveReaderIndex(to: end.upperBound)
                    state = .connecting(buffer)
                    context.fireUserInboundEventTriggered(Began())
                    connect(sending: head.forwarded(peer: context.channel.remoteAddress?.ipAddress),
                        deadline: .now + proxy.waitLimit)
                } else {
                    handOver(buffer, context: context)
                }
            } else if buffer.readableBytes > Self.headLimit {
                handOver(buffer, context: context)
            } else {
                state = .reading(buffer)
            }
        case .connecting(var pending):
            pending.writeImmutableBuffer(bytes)
            state = .connecting(pending)
        case .tunnelling(let app, _):
            app.write(bytes, promise: nil)
        case .closed:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .tunnelling(let app, _) = state { app.flush() }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        switch state {
        case .connecting:
            readPending = true
        case .tunnelling(let app, _) where !app.isWritable:
            readPending = true
        default:
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .tunnelling(_, let handler) = state { handler.clientWritabilityChanged(context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .tunnelling(let app, _) = state { Self.closeAfterWrites(app) }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .tunnelling = state else { return context.fireErrorCaught(error) }
        context.close(promise: nil)
    }

    // MARK: Called by the app's side of the tunnel

    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    func appSent(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

    func flushToClient() {
        context?.flush()
    }

    func appWritabilityChanged(_ isWritable: Bool) {
        guard isWritable, readPending, let context else { return }
        readPending = false
        context.read()
    }

    func appClosed(_ app: any Channel, failure: (any Error)?) {
        state = .closed
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    // MARK: Private

    /// Not an upgrade: the HTTP server gets the bytes and this handler steps out of the way.
    private func handOver(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        state = .closed
        context.fireChannelRead(wrapInboundOut(buffer))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func connect(sending head: ByteBuffer, deadline: ContinuousClock.Instant) {
        guard let context else { return }
        // An app that is starting, stopping or restarting is waited for: one on its way out would take the
        // upgrade and then drop it.
        guard proxy.backendIsUp() else { return waitForApp(sending: head, deadline: deadline) }
        proxy.connectToBackend(on: context.eventLoop)
            .assumeIsolated()
            .whenComplete { result in self.connected(result, sending: head, deadline: deadline) }
    }

    private func connected(
        _ result: Result<any Channel, any Error>, sending head: ByteBuffer, deadline: ContinuousClock.Instant
    ) {
        guard case .connecting(let pending) = state, let context else {
            // The client left while the app was being reached.
            if case .success(let app) = result { app.close(promise: nil) }
            return
        }
        switch result {
        case .success(let app):
            let handler = AppConnectionHandler(owner: self)
            do {
                try app.pipeline.syncOperations.addHandler(handler)
            } catch {
                app.close(promise: nil)
                return refuse(.badGateway, "could not set up the connection to the app: \(error)")
            }
            state = .tunnelling(app: app, handler: handler)
            app.write(head, promise: nil)
            if pending.readableBytes > 0 { app.write(pending, promise: nil) }
            app.flush()
            if readPending {
                readPending = false
                context.read()
            }
        case .failure(let error) where ReverseProxy.isUnreachable(error):
            waitForApp(sending: head, deadline: deadline)
        case .failure(let error):
            refuse(.badGateway, "the app on port \(proxy.backendPort) failed to answer: \(error)")
        }
    }

    /// Waits (until `deadline`) for the app to accept connections, then connects again.
    private func waitForApp(sending head: ByteBuffer, deadline: ContinuousClock.Instant) {
        let remaining = deadline - .now
        guard remaining > .zero, let context else { return refuse(.serviceUnavailable, proxy.notListening) }
        proxy.waitForBackend(remaining, on: context.eventLoop) { readiness in
            guard readiness == .ready else { return self.refuse(.serviceUnavailable, self.proxy.unavailable(readiness)) }
            self.connect(sending: head, deadline: deadline)
        }
    }

    /// Answers the upgrade with an HTTP error that says why, then closes.
    private func refuse(_ status: HTTPResponseStatus, _ message: String) {
        guard let context, case .connecting = state else { return }
        state = .closed
        let body = ReverseProxy.failureBody(message)
        var response = ByteBuffer(
            string: "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\ncontent-type: text/plain; charset=utf-8\r\n"
                + "content-length: \(body.readableBytes)\r\nconnection: close\r\n\r\n")
        response.writeImmutableBuffer(body)
        context.writeAndFlush(wrapOutboundOut(response)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// Closes `channel` once what was written to it has gone out.
    static func closeAfterWrites(_ channel: any Channel) {
        channel.writeAndFlush(ByteBuffer()).assumeIsolated().whenComplete { _ in channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension UpgradeTunnel: Sendable {}
