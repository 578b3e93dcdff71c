import DeltaSync
import Glibc
import NIOCore

/// Pauses accepting connections for a moment when accepting fails for want of descriptors or memory (EMFILE, ENFILE,
/// ENOBUFS, ENOMEM), and says so in the log.
///
/// After such a failure NIO keeps the listening socket's read interest, so the event loop would call accept(2) again
/// at once, and again, each call failing, using a core while the connections wait in the listen queue. Turning the
/// listener's reading off and on again after ``pause`` ends that; connections wait in the queue meanwhile, until
/// closing connections (timed out, see ``ConnectionTimeouts``) give descriptors back.
final class ListenerBackoff: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// How long accepting stops after a failure.
    static let pause = TimeAmount.milliseconds(250)
    /// The errors that a pause can cure: others are passed on.
    private static let recoverable: Set<Int32> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]

    /// Since when accepting fails, for the log line that says it works again.
    private var failingSince: ContinuousClock.Instant?
    private var resuming: Scheduled<Void>?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let failingSince {
            self.failingSince = nil
            ControllerLog.info("accepting connections again, after \((ContinuousClock.now - failingSince).forPeople)")
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let failure = error as? IOError, Self.recoverable.contains(failure.errnoCode) else {
            return context.fireErrorCaught(error)
        }
        if failingSince == nil {
            failingSince = .now
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            ControllerLog.warning(
                "cannot accept connections: \(String(cString: strerror(failure.errnoCode))) (the descriptor limit is \(limit.rlim_cur)); new connections wait until connections close, and idle or stalled ones time out (idle_timeout_seconds, header_timeout_seconds)"
            )
        }
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        guard resuming == nil else { return }
        resuming = context.eventLoop.assumeIsolated().scheduleTask(in: Self.pause) {
            self.resuming = nil
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        resuming?.cancel()
        resuming = nil
    }
}

@available(*, unavailable)
extension ListenerBackoff: Sendable {}
