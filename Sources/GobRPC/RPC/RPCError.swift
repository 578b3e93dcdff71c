/// A failed RPC call. `server` errors carry the other side's message verbatim (e.g. cf's
/// "No API endpoint set. ..."); the others mean the connection or its byte stream failed.
public struct RPCError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server answered with an error string.
        case server
        /// Connecting, writing or reading failed, or the peer closed the connection.
        case connection
        /// The peer's bytes were not a valid reply (bad gob, wrong sequence number, wrong type).
        case invalidReply
    }

    public let kind: Kind
    /// The `Service.Method` called, or "" for errors outside a call (e.g. connecting).
    public let method: String
    public let message: String

    public init(_ kind: Kind, method: String, message: String) {
        self.kind = kind
        self.method = method
        self.message = message
    }

    public var description: String {
        let prefix = method.isEmpty ? "" : "\(method): "
        return switch kind {
        case .server: prefix + message
        case .connection: prefix + "connection failed: " + message
        case .invalidReply: prefix + "invalid reply: " + message
        }
    }
}
