import Foundation

/// A Go `net/rpc` client speaking the gob codec over one connection.
///
/// Calls are made one at a time (the lock serializes callers). Both directions are one gob
/// stream each, so type definitions sent or received earlier stay valid for later calls.
/// After a transport or decoding failure the stream position is unknown, so the client refuses
/// further calls rather than misreading the next reply.
public final class RPCClient: @unchecked Sendable {
    /// Receives one line per call, for `CF_TRACE`-style logging. Argument and reply values are
    /// left out on purpose: they may hold secrets such as access tokens.
    public typealias Trace = @Sendable (String) -> Void

    private let lock = NSLock()
    private let transport: any RPCTransport
    private var encoder: GobEncoder
    private var decoder = GobDecoder()
    private var source: TransportMessageSource
    private var nextSeq: UInt64 = 0
    private var failure: RPCError?
    private let trace: Trace?

    /// Connects to a net/rpc server on `host:port` (an IPv4 address; cf listens on 127.0.0.1).
    public convenience init(host: String = "127.0.0.1", port: Int, trace: Trace? = nil) throws {
        try self.init(transport: TCPTransport(host: host, port: port), trace: trace)
    }

    init(
        transport: any RPCTransport, registry: GobTypeRegistry = .shared, maxMessageSize: Int = 64 << 20,
        trace: Trace? = nil
    ) {
        self.transport = transport
        self.encoder = GobEncoder(registry: registry)
        self.source = TransportMessageSource(transport: transport, maxMessageSize: maxMessageSize)
        self.trace = trace
    }

    deinit { transport.close() }

    /// Calls `serviceMethod` (e.g. "CliRpcCmd.GetApp") and converts the reply.
    /// Throws `RPCError`: `.server` with the server's message when the method failed.
    public func call<Reply: GobConvertible>(
        _ serviceMethod: String, _ argument: some GobConvertible, returning: Reply.Type = Reply.self
    ) throws -> Reply {
        lock.lock()
        defer { lock.unlock() }
        let started = DispatchTime.now().uptimeNanoseconds
        let seq = nextSeq
        do {
            let reply: Reply = try perform(serviceMethod, seq: seq, argument)
            report(serviceMethod, seq: seq, started: started, outcome: "ok")
            return reply
        } catch {
            report(serviceMethod, seq: seq, started: started, outcome: "error: \(error.message)")
            throw error
        }
    }

    /// Closes the connection; later calls fail.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        transport.close()
        if failure == nil { failure = RPCError(.connection, method: "", message: "connection was closed") }
    }

    private func perform<Reply: GobConvertible>(
        _ method: String, seq: UInt64, _ argument: some GobConvertible
    ) throws(RPCError) -> Reply {
        if let failure { throw RPCError(failure.kind, method: method, message: failure.message) }
        nextSeq += 1
        do {
            var bytes = try encoder.encode(RPCRequestHeader(serviceMethod: method, seq: seq).gobValue, as: RPCRequestHeader.gobType)
            bytes += try encoder.encode(argument.gobValue, as: type(of: argument).gobType)
            try transport.send(bytes)
        } catch {
            throw fail(error, method: method)
        }
        let header: RPCResponseHeader
        let body: GobMessage
        do {
            guard let headerMessage = try decoder.decode(from: &source) else {
                throw RPCError(.connection, method: method, message: "connection closed before the reply")
            }
            header = try RPCResponseHeader(gobValue: headerMessage.value)
            guard header.seq == seq else {
                throw RPCError(.invalidReply, method: method, message: "reply has sequence number \(header.seq), expected \(seq)")
            }
            guard let bodyMessage = try decoder.decode(from: &source) else {
                throw RPCError(.connection, method: method, message: "connection closed before the reply body")
            }
            body = bodyMessage
        } catch {
            throw fail(error, method: method)
        }
        // The stream is in step again here: a failed call or an unexpected reply type
        // leaves the connection usable.
        guard header.error.isEmpty else { throw RPCError(.server, method: method, message: header.error) }
        do {
            return try Reply(gobValue: body.value)
        } catch {
            throw RPCError(.invalidReply, method: method, message: "\(error)")
        }
    }

    /// Marks the connection unusable and returns the error to throw.
    private func fail(_ error: any Error, method: String) -> RPCError {
        let rpcError: RPCError =
            if let error = error as? RPCError {
                RPCError(error.kind, method: method, message: error.message)
            } else {
                RPCError(.invalidReply, method: method, message: "\(error)")
            }
        failure = rpcError
        transport.close()
        return rpcError
    }

    private func report(_ method: String, seq: UInt64, started: UInt64, outcome: String) {
        guard let trace else { return }
        let micros = (DispatchTime.now().uptimeNanoseconds - started) / 1000
        let millis = String(format: "%.1f", Double(micros) / 1000)
        trace("RPC \(method) seq=\(seq) \(millis)ms: \(outcome)")
    }
}
