import NIOCore
import NIOHTTP1
import NIOPosix

/// Forwards the app's requests on one client connection to the app, over one kept-alive connection of its
/// own, and the app's answers back. Requests for the controller's own paths pass on to the control routes.
///
/// Everything happens on the client connection's event loop, as channel handlers calling each other: a
/// proxied request never leaves that loop, which is what keeps the proxy's cost per request small.
///
/// Requests are answered one at a time, in order, whoever answers them. What a pipelining client sends
/// while an answer is pending waits here, and the client's connection is read no further until it is
/// taken up. A client that waits for each answer is read all along: no read interest toggles per request.
///
/// While the app restarts, a request that finds no one listening waits (up to the proxy's wait limit) for
/// it to come back instead of failing; when it does not, the client gets a 503 whose body says why. No
/// request is sent to an app that is being stopped. A request the app drops unanswered is sent once more
/// on a new connection when its method is idempotent and it has no body; anything else that stops the app
/// answering is a 502 that says what went wrong.
///
/// Each side reads only while the other can take its bytes, so a slow reader slows the writer instead of
/// filling memory.
///
/// A control answer that says `Connection: close` (a refusal that did not read the request's body) ends the
/// connection after it: the client's side is closed at once, so the client sees the end right after the answer,
/// and what is left of the request is read and dropped, for at most ``lingerLimit`` and ``lingerByteLimit``, never
/// handed to the control routes. A control answer given while the request's body is still arriving (a 401 that
/// did not read it, a 413 for a body over the limit) says `Connection: close` for that reason: the rest of a body
/// with no end would otherwise be read for as long as the client sends it.
///
/// A connection between requests is closed after ``ConnectionTimeouts/idle`` with nothing arriving, and one whose
/// next request's head is not whole within ``ConnectionTimeouts/header`` gets a 408 and is closed, so that clients
/// that connect and stall give their descriptors back.
final class RequestForwarder: ChannelDuplexHandler, RemovableChannelHandler, AppConnectionOwner {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart
    typealias AppInbound = HTTPClientResponsePart
    typealias AppOutbound = HTTPClientRequestPart

    /// One proxied request and its answer.
    private struct Exchange {
        /// The head as sent to the app.
        let head: HTTPRequestHead
        let clientVersion: HTTPVersion
        /// The client's connection stays open after this answer: the client asked for that and the answer's
        /// framing allows it.
        var keepAlive: Bool
        /// The request can be sent again if the app drops it: its method is idempotent and it has no body.
        let resendable: Bool
        /// When a wait for the app gives up.
        let deadline: NIODeadline
        /// Parts waiting for a connection to the app.
        var unsent: [HTTPClientRequestPart] = []
        var requestEnded = false
        var responseStarted = false
        /// It was sent again after the app dropped it; it is not sent a third time.
        var resent = false

        /// The client speaks HTTP/1.1 or later: it takes chunked bodies and interim answers.
        var clientIsModern: Bool { clientVersion.major > 1 || clientVersion.minor >= 1 }
    }

    /// Who receives the parts of the request being read.
    private enum Destination {
        case app
        case controller
        /// No one: the rest of a control request whose answer ended the connection.
        case discarded
    }

    /// Something the client sent that waits for the answers before it.
    private enum Waiting {
        case part(HTTPServerRequestPart)
        /// Bytes that are not HTTP: the control routes answer them with a 400 in their turn.
        case error(any Error)
        /// The client will send nothing more.
        case inputClosed
    }

    /// The connection to the app.
    private enum AppLink {
        case none
        case connecting
        /// Waiting for the app to accept connections again.
        case waiting
        case open(any Channel, AppConnectionHandler<RequestForwarder>)
        /// The client left; nothing more is opened.
        case closed
    }

    /// How long the rest of a request answered early is read before the connection closes anyway.
    static let lingerLimit = TimeAmount.seconds(10)
    /// How much of the rest of a request answered early is read before the connection closes anyway: about what
    /// the sockets of a fast client hold in flight, so that its reading side has the answer before the close.
    static let lingerByteLimit = 4 << 20

    /// Methods a request can be sent again with (RFC 9110 §9.2.2).
    private static let idempotent: [HTTPMethod] = [.GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE]

    private let basePath: String
    private let proxy: ReverseProxy
    private let timeouts: ConnectionTimeouts
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var link = AppLink.none
    /// Where the parts of the request being read go; nil between requests.
    private var receiving: Destination?
    /// The control routes have a request whose answer has not ended.
    private var controllerAnswering = false
    /// The control routes' answer in progress says `Connection: close`.
    private var controllerCloses = false
    /// What arrived while an answer was pending, in order.
    private var waiting = CircularBuffer<Waiting>()
    /// Taking up what waited is in progress.
    private var draining = false
    /// The control routes were given something since their last read-complete: they take it up at the next.
    private var controllerHasReads = false
    /// The server is shutting down: the connection ends after the answer in progress.
    private var quiescing = false
    /// A read the HTTP side asked for while the app could take no more.
    private var readPending = false
    /// The app said it closes its connection after the answer in progress.
    private var closeAppAfterAnswer = false
    /// The client's connection closes when the request it is still sending ends: it was answered early.
    private var lingering = false
    /// The client's connection is ending: nothing more it sent is taken up.
    private var closing = false
    /// Bytes of a request answered early read and dropped so far.
    private var lingeredBytes = 0
    /// Since when the connection waits for its next request (nil while one is read or answered).
    private var idleSince: NIODeadline?
    /// When the next request's head began: its first bytes arrived, or the connection opened. Its head must be
    /// whole by ``ConnectionTimeouts/header`` later.
    private var headStartedAt: NIODeadline?
    /// The check of the timeouts that comes next.
    private var timeoutCheck: Scheduled<Void>?
    /// The connection became a tunnel (``UpgradeTunnel``): no request comes here, and no timeout applies.
    private var tunnelled = false
    /// The client's address, for X-Forwarded-For.
    private lazy var peer: String? = context?.channel.remoteAddress?.ipAddress

    /// The head size limits the decoder applies, named when a head goes over them.
    private let limits: NIOHTTPDecoderLimitConfiguration

    init(basePath: String, proxy: ReverseProxy, timeouts: ConnectionTimeouts, limits: NIOHTTPDecoderLimitConfiguration) {
        self.basePath = basePath
        self.proxy = proxy
        self.timeouts = timeouts
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // The first request's head counts from the connection's opening.
        waitForNextRequest(headStarted: true)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopWaitingForNextRequest()
    }

    // MARK: The client's side

    /// An answer is pending.
    private var answering: Bool { exchange != nil || controllerAnswering }

    /// The request in progress has arrived whole and its answer is pending: the next one waits for it.
    private var nextRequestWaits: Bool { answering && receiving == nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let part = unwrapInboundIn(data)
        if !waiting.isEmpty || nextRequestWaits {
            waiting.append(.part(part))
        } else {
            take(part, context: context)
        }
    }

    /// Sends a part of the request being read where it belongs: the head decides where.
    private func take(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            stopWaitingForNextRequest()
            if FrontDoorChannel.isControlPath(head.uri, basePath: basePath) {
                receiving = .controller
                controllerAnswering = true
                passOn(part, context: context)
            } else {
                receiving = .app
                begin(head, context: context)
            }
        case .body(let bytes):
            switch receiving {
            case .controller: passOn(part, context: context)
            case .app where exchange != nil: send(.body(.byteBuffer(bytes)))
            case .app, .discarded: dropLingering(bytes.readableBytes)
            case nil: break
            }
        case .end(let trailers):
            let destination = receiving
            receiving = nil
            switch destination {
            case .controller:
                passOn(part, context: context)
            case .app where exchange == nil, .discarded:
                // The end of a request answered early: the connection was only kept open to read it.
                if lingering { closeNow() }
            case .app:
                exchange?.requestEnded = true
                send(.end(trailers))
            case nil:
                break
            }
        }
    }

    private func passOn(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        controllerHasReads = true
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// Ends a read for both sides: what went to the app goes out together, and the control routes take up
    /// what they were given. A read that was all for the app costs the control routes nothing.
    private func readComplete(context: ChannelHandlerContext) {
        if exchange != nil, case .open(let app, _) = link { app.flush() }
        if controllerHasReads {
            controllerHasReads = false
            context.fireChannelReadComplete()
        }
    }

    /// The answer in progress ended and the connection stays open: what waited for it is taken up, up to
    /// the next request that has to wait for its own answer.
    private func answered() {
        guard let context, !closing, !quiescing, !draining else { return }
        draining = true
        defer { draining = false }
        var took = false
        while !closing, !nextRequestWaits, let next = waiting.popFirst() {
            took = true
            switch next {
            case .part(let part): take(part, context: context)
            case .error(let error): refuseMalformed(error, context: context)
            case .inputClosed: context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
        }
        if took { readComplete(context: context) }
        if waiting.isEmpty { resumeReading() }
        if !closing && !lingering && !answering && receiving == nil && waiting.isEmpty {
            waitForNextRequest(headStarted: false)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only the control routes' answers pass through here: the app's are written from this handler.
        guard controllerAnswering else { return context.write(data, promise: promise) }
        switch unwrapOutboundIn(data) {
        case .head(var head):
            controllerCloses = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            if receiving == .controller && !controllerCloses {
                // Answered before the request's body has all arrived: the rest is not read.
                controllerCloses = true
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end where controllerCloses:
            controllerAnswering = false
            controllerCloses = false
            let written = promise ?? context.eventLoop.makePromise()
            context.write(data, promise: written)
            let requestEnded = receiving != .controller
            if !requestEnded { receiving = .discarded }
            closeClient(after: written.futureResult, requestEnded: requestEnded, endingOutput: true, context: context)
        case .end:
            controllerAnswering = false
            context.write(data, promise: promise)
            // When shutting down, the control routes close the connection after this answer themselves.
            answered()
        }
    }

    func read(context: ChannelHandlerContext) {
        if !waiting.isEmpty {
            // Pipelined requests are read no further than the first that has to wait.
            readPending = true
            return
        }
        // Body parts wait in the client's socket for the app's connection, and for room in it. Once the
        // request has arrived, reading on costs nothing: what comes next waits with the pipelined requests.
        // So the client's read interest stays as it is while a connection to the app opens, as one does
        // for every request to an app that closes after each answer.
        if exchange != nil, receiving == .app {
            switch link {
            case .open(let app, _) where !app.isWritable:
                readPending = true
                return
            case .connecting, .waiting:
                readPending = true
                return
            default:
                break
            }
        }
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if idleSince != nil && headStartedAt == nil {
            // The first bytes of the next request's head (the decoder keeps them until the head is whole).
            headStartedAt = .now()
            scheduleTimeoutCheck()
        }
        readComplete(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .open(_, let handler) = link { handler.clientWritabilityChanged(context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopWaitingForNextRequest()
        if case .open(let app, _) = link { app.close(promise: nil) }
        link = .closed
        exchange = nil
        stopTakingInput()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch receiving {
        case .app, .discarded:
            // The client's bytes stopped making sense in the middle of a proxied request, or of one already
            // answered.
            closeNow()
        case .controller:
            context.fireErrorCaught(error)
        case nil where error is HTTPParserError && (nextRequestWaits || !waiting.isEmpty):
            waiting.append(.error(error))
        case nil:
            refuseMalformed(error, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed where answering || receiving != nil || !waiting.isEmpty:
            waiting.append(.inputClosed)
        case is UpgradeTunnel.Began:
            tunnelled = true
            stopWaitingForNextRequest()
        case is ChannelShouldQuiesceEvent:
            quiescing = true
            waiting.removeAll()
            // The control routes close an idle connection, or one whose answer is theirs, when that ends.
            if exchange == nil && receiving != .app { context.fireUserInboundEventTriggered(event) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Called by the app's side

    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    func appSent(_ part: HTTPClientResponsePart) {
        guard let context, var exchange else {
            // An answer to no request: the app's connection is out of step.
            return closeApp()
        }
        switch part {
        case .head(let head) where head.status.code < 200 && head.status != .switchingProtocols:
            // 100 Continue and other interim answers go to the client as they are (HTTP/1.0 has none).
            guard exchange.clientIsModern else { return }
            var interim = HTTPResponseHead(version: exchange.clientVersion, status: head.status, headers: head.headers)
            ReverseProxy.removeHopByHopFields(from: &interim.headers)
            context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
        case .head(let head) where head.status == .switchingProtocols:
            // The upgrade header is not forwarded on later requests, so the app is not speaking HTTP.
            closeApp()
            fail(.badGateway, "the app switched protocols on a request that did not ask to")
        case .head(let head):
            exchange.responseStarted = true
            let answer = clientHead(for: head, exchange: &exchange)
            self.exchange = exchange
            closeAppAfterAnswer = !head.isKeepAlive
            context.write(wrapOutboundOut(.head(answer)), promise: nil)
        case .body(let bytes):
            context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        case .end(let trailers):
            self.exchange = nil
            if closeAppAfterAnswer || !exchange.requestEnded {
                // The app answered before the whole request reached it, or will close: its connection
                // cannot carry the next request.
                closeApp()
            }
            closeAppAfterAnswer = false
            let written = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
            if exchange.keepAlive && exchange.requestEnded && !quiescing {
                answered()
            } else {
                closeClient(after: written, requestEnded: exchange.requestEnded, context: context)
            }
        }
    }

    func flushToClient() {
        context?.flush()
    }

    func appWritabilityChanged(_ isWritable: Bool) {
        guard isWritable else { return }
        resumeReading()
    }

    /// The app's connection closed, on `failure` when it broke.
    func appClosed(_ app: any Channel, failure: (any Error)?) {
        guard case .open(let current, _) = link, current === app else { return }
        link = .none
        closeAppAfterAnswer = false
        guard var exchange else { return }
        if exchange.responseStarted {
            // Half an answer cannot be repaired: the client learns of it by its connection closing.
            self.exchange = nil
            closeNow()
        } else if exchange.resendable && !exchange.resent && exchange.deadline > .now() {
            // Most likely the app closed a kept-alive connection (it is stopping, or timed the connection
            // out) as the request went out. An idempotent request goes again, once, on a new connection.
            exchange.unsent = exchange.requestEnded ? [.head(exchange.head), .end(nil)] : [.head(exchange.head)]
            exchange.resent = true
            self.exchange = exchange
            proxy.backendIsUp() ? connect() : waitForApp()
        } else {
            let why = failure.map { "failed to answer: \($0)" } ?? "closed the connection without answering"
            fail(.badGateway, "the app on port \(proxy.backendPort) \(why)")
        }
    }

    // MARK: Private

    private func begin(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri, headers: request.headers)
        let chunked = head.headers.contains(name: "transfer-encoding")
        ReverseProxy.removeHopByHopFields(from: &head.headers)
        // The body is forwarded as it is framed; the encoder chunks it again when the client did.
        if chunked { head.headers.add(name: "transfer-encoding", value: "chunked") }
        ReverseProxy.addForwardingHeaders(
            to: &head.headers, peer: peer, authority: request.headers.first(name: "host"))
        let length = request.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
        self.exchange = Exchange(
            head: head, clientVersion: request.version, keepAlive: request.isKeepAlive,
            resendable: !chunked && length == 0 && Self.idempotent.contains(request.method),
            deadline: .now() + TimeAmount(proxy.waitLimit))
        let appIsUp = proxy.backendIsUp()
        if appIsUp, case .open(let app, _) = link, app.isActive {
            // Flushed when the client's read is complete, with whatever else it brought.
            app.write(HTTPClientRequestPart.head(head), promise: nil)
            return
        }
        exchange?.unsent = [.head(head)]
        switch link {
        case .open, .none:
            closeApp()
            // The app is starting, stopping or restarting: the request waits for it, and a connection to an
            // app on its way out is no use.
            appIsUp ? connect() : waitForApp()
        case .connecting, .waiting, .closed:
            // A connection an earlier request asked for is on its way (or the client is gone).
            break
        }
    }

    private func send(_ part: HTTPClientRequestPart) {
        guard exchange != nil else { return }  // what is left of a request already answered
        if case .open(let app, _) = link {
            app.write(part, promise: nil)
        } else {
            exchange?.unsent.append(part)
        }
    }

    private func writeUnsent(to app: any Channel) {
        guard var exchange, !exchange.unsent.isEmpty else { return }
        for part in exchange.unsent { app.write(part, promise: nil) }
        exchange.unsent.removeAll(keepingCapacity: true)
        self.exchange = exchange
        app.flush()
    }

    private func connect() {
        guard let context else { return }
        link = .connecting
        proxy.connectToBackend(on: context.eventLoop)
            .assumeIsolated()
            .whenComplete { result in self.connected(result) }
    }

    private func connected(_ result: Result<any Channel, any Error>) {
        guard case .connecting = link else {
            // The client left while the app was being reached.
            if case .success(let app) = result { app.close(promise: nil) }
            return
        }
        switch result {
        case .success(let app):
            let handler = AppConnectionHandler(owner: self)
            do {
                let pipeline = app.pipeline.syncOperations
                try pipeline.addHandler(HTTPRequestEncoder())
                try pipeline.addHandler(
                    ByteToMessageHandler(HTTPResponseDecoder(informationalResponseStrategy: .forward)))
                try pipeline.addHandler(handler)
            } catch {
                link = .none
                app.close(promise: nil)
                return fail(.badGateway, "could not set up the connection to the app: \(error)")
            }
            link = .open(app, handler)
            writeUnsent(to: app)
            resumeReading()
        case .failure(let error) where ReverseProxy.isUnreachable(error):
            link = .none
            waitForApp()
        case .failure(let error):
            link = .none
            fail(.badGateway, "the app on port \(proxy.backendPort) failed to answer: \(error)")
        }
    }

    /// Waits (up to the request's deadline) for the app to accept connections, then connects.
    private func waitForApp() {
        guard let exchange, exchange.deadline > .now(), let context else {
            return fail(.serviceUnavailable, proxy.notListening)
        }
        link = .waiting
        let remaining = Duration(exchange.deadline - .now())
        proxy.waitForBackend(remaining, on: context.eventLoop) { readiness in self.waited(readiness) }
    }

    /// The wait for the app is over.
    private func waited(_ readiness: BackendReadiness) {
        guard case .waiting = link else { return }
        link = .none
        guard exchange != nil else { return }
        if readiness == .ready { connect() } else { fail(.serviceUnavailable, proxy.unavailable(readiness)) }
    }

    /// Answers the request in progress with an error that says why.
    private func fail(_ status: HTTPResponseStatus, _ message: String) {
        guard let context, let exchange, !exchange.responseStarted else { return closeNow() }
        self.exchange = nil
        let body = ReverseProxy.failureBody(message)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(body.readableBytes))
        // The rest of an unfinished request would be taken for the next one: the connection ends here.
        let keepAlive = exchange.keepAlive && exchange.requestEnded && !quiescing
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: exchange.clientVersion, status: status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if keepAlive {
            answered()
        } else {
            closeClient(after: written, requestEnded: exchange.requestEnded, context: context)
        }
    }

    /// Ends the client's connection once `written` (the answer's end) is out. A client still sending its
    /// request reads an answer only after it has sent everything (or never, if the connection is reset under
    /// it), so the rest of the request is read and dropped first, for at most ``lingerLimit``.
    ///
    /// With `endingOutput`, the connection's sending side closes as soon as the answer is out (a TCP half-close,
    /// RFC 9112 §9.6), so that a client sending a body with no end sees the end of the answer at once. The control
    /// routes' refusals ask for it: they want none of the body. An app's early answer leaves the client's side
    /// open until the request has ended, as it always did.
    private func closeClient(
        after written: EventLoopFuture<Void>, requestEnded: Bool, endingOutput: Bool = false,
        context: ChannelHandlerContext
    ) {
        guard !requestEnded else {
            stopTakingInput()
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        lingering = true
        if endingOutput { written.assumeIsolated().whenSuccess { context.close(mode: .output, promise: nil) } }
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerLimit) { context.close(promise: nil) }
        resumeReading()
    }

    /// The head for the client: the app's, without the app connection's own fields, and framed so the
    /// client's connection can stay open when it asked for that.
    private func clientHead(for app: HTTPResponseHead, exchange: inout Exchange) -> HTTPResponseHead {
        var head = HTTPResponseHead(version: exchange.clientVersion, status: app.status, headers: app.headers)
        ReverseProxy.removeHopByHopFields(from: &head.headers)
        // An HTTP/1.0 client cannot take a chunked body: one without a length ends with the connection.
        let framed = head.headers.contains(name: "content-length") || exchange.head.method == .HEAD
            || [.noContent, .notModified].contains(app.status)
        exchange.keepAlive = exchange.keepAlive && !quiescing && (exchange.clientIsModern || framed)
        if !exchange.keepAlive {
            head.headers.add(name: "connection", value: "close")
        } else if !exchange.clientIsModern {
            head.headers.add(name: "connection", value: "keep-alive")
        }
        return head
    }

    /// Reads and drops `count` bytes of a request that was answered early, up to ``lingerByteLimit``.
    private func dropLingering(_ count: Int) {
        lingeredBytes += count
        if lingering && lingeredBytes > Self.lingerByteLimit { closeNow() }
    }

    // MARK: Timeouts

    /// The connection waits for its next request from now; `headStarted` when its head counts from now too.
    private func waitForNextRequest(headStarted: Bool) {
        guard !tunnelled else { return }
        let now = NIODeadline.now()
        idleSince = now
        headStartedAt = headStarted ? now : nil
        scheduleTimeoutCheck()
    }

    private func stopWaitingForNextRequest() {
        idleSince = nil
        headStartedAt = nil
        timeoutCheck?.cancel()
        timeoutCheck = nil
    }

    /// When the connection, waiting for its next request, times out: its head is late, or it was idle too long.
    private var timeoutDeadline: NIODeadline? {
        if let headStartedAt { return headStartedAt + TimeAmount(timeouts.header) }
        return idleSince.map { $0 + TimeAmount(timeouts.idle) }
    }

    private func scheduleTimeoutCheck() {
        guard let context, let deadline = timeoutDeadline else { return }
        timeoutCheck?.cancel()
        timeoutCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.checkTimeouts()
        }
    }

    private func checkTimeouts() {
        timeoutCheck = nil
        guard !closing, !tunnelled, let deadline = timeoutDeadline else { return }
        guard NIODeadline.now() >= deadline else { return scheduleTimeoutCheck() }
        if headStartedAt != nil {
            timeOutHead()
        } else {
            // Idle: nothing is lost, a client opens a new connection for its next request.
            closeNow()
        }
    }

    /// Answers a request whose head is late with a 408 that says why, and ends the connection.
    private func timeOutHead() {
        answerAndClose(
            .requestTimeout,
            "the request's head did not arrive whole within \(timeouts.header.forPeople) (header_timeout_seconds); send the whole head at once")
    }

    /// Answers bytes that are not an HTTP/1.1 request with a status and words that say what was wrong (a head over
    /// the size limits is a 431), and ends the connection: what follows cannot be told apart from the bad part.
    private func refuseMalformed(_ error: any Error, context: ChannelHandlerContext) {
        guard let parserError = error as? HTTPParserError, !answering else { return context.fireErrorCaught(error) }
        // The decoder goes on reporting the rest of a bad head: the connection is already being ended.
        guard !closing else { return }
        if parserError == .headerOverflow {
            answerAndClose(
                .requestHeaderFieldsTooLarge,
                "the request's head is larger than this server takes (at most \(limits.maxHeaderListSize / 1024) KiB of header fields, \(limits.maxHeaderFieldCount) fields, \(limits.maxHeaderFieldSize / 1024) KiB in one, the URL included); send a smaller one")
        } else {
            answerAndClose(.badRequest, "the request is not valid HTTP/1.1 (\(parserError)); send a well-formed request")
        }
    }

    /// Answers with `status` and `message` as plain text, and ends the connection.
    private func answerAndClose(_ status: HTTPResponseStatus, _ message: String) {
        guard let context else { return }
        stopWaitingForNextRequest()
        stopTakingInput()
        let body = ReverseProxy.failureBody(message)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// Ends the client's connection now.
    private func closeNow() {
        stopTakingInput()
        context?.close(promise: nil)
    }

    /// The client's connection is ending: nothing more it sent, or sent ahead, is taken up.
    private func stopTakingInput() {
        closing = true
        waiting.removeAll()
    }

    private func closeApp() {
        if case .open(let app, _) = link {
            link = .none
            app.close(promise: nil)
        }
    }

    private func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        read(context: context)
    }
}

@available(*, unavailable)
extension RequestForwarder: Sendable {}
