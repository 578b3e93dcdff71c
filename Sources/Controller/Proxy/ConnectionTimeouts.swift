/// How long a client connection may take over a request's head, and wait between requests, before the controller
/// closes it: what frees the descriptors of clients that connect and then stall (see ``RequestForwarder``).
struct ConnectionTimeouts: Sendable {
    /// The time a request's head may take: from the connection's opening for its first request, from the head's
    /// first bytes for the next ones.
    var header: Duration
    /// The time a kept-alive connection may wait for its next request with nothing arriving.
    var idle: Duration

    init(header: Duration, idle: Duration) {
        self.header = header
        self.idle = idle
    }

    init(_ config: ControllerConfig) {
        self.init(header: config.headerTimeout, idle: config.idleTimeout)
    }
}
