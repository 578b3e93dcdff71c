import NIOCore
import NIOHTTP1

/// The head of a connection's first request, read from raw bytes just far enough to decide whether the
/// connection leaves HTTP (a WebSocket or other `Upgrade`) and so must become a byte tunnel to the app.
///
/// Anything this reader does not understand is left to the HTTP server, which answers it properly: only a
/// clean HTTP/1.1 head with an `Upgrade` header and `Connection: upgrade` is tunnelled.
struct UpgradeRequestHead {
    /// The request line, as sent (`GET /live HTTP/1.1`).
    let requestLine: String
    /// The path of the request target, without its query.
    let path: String
    var headers: HTTPHeaders

    /// The end of a request head.
    static let terminator: [UInt8] = Array("\r\n\r\n".utf8)

    /// Parses `bytes` (a head up to, not including, its blank line); nil when it is not an upgrade request
    /// this proxy should tunnel.
    init?(_ bytes: ByteBufferView) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let first = lines.popFirst() else { return nil }
        let parts = first.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2] == "HTTP/1.1", parts[1].hasPrefix("/") else { return nil }
        requestLine = String(first)
        path = String(parts[1].prefix { $0 != "?" && $0 != "#" })
        headers = HTTPHeaders()
        for line in lines {
            // Obsolete line folding and malformed fields are for the HTTP server to refuse.
            guard let colon = line.firstIndex(of: ":"), let lead = line.first, lead != " ", lead != "\t" else {
                return nil
            }
            let name = line[..<colon]
            guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else { return nil }
            var value = line[line.index(after: colon)...]
            while value.first == " " || value.first == "\t" { value.removeFirst() }
            while value.last == " " || value.last == "\t" { value.removeLast() }
            headers.add(name: String(name), value: String(value))
        }
        let connectionTokens = headers[canonicalForm: "connection"].map { $0.lowercased() }
        guard !headers["upgrade"].isEmpty, connectionTokens.contains("upgrade") else { return nil }
    }

    /// The head to send to the app: the same request line and headers with X-Forwarded-For/-Proto/-Host
    /// added as for every proxied request.
    func forwarded(peer: String?) -> ByteBuffer {
        var headers = headers
        ReverseProxy.addForwardingHeaders(to: &headers, peer: peer, authority: headers.first(name: "host"))
        var head = requestLine + "\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return ByteBuffer(string: head)
    }
}
