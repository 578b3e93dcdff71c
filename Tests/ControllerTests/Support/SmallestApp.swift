import DeltaSync

/// The smallest app that listens on `$PORT` (readiness is the port accepting connections): answers every GET with
/// "ok", over HTTP/1.1 with kept-alive connections, one thread per connection. Written outside the app directory,
/// so pushes never see it.
enum SmallestApp {
    static let source = """
        import http.server, os
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
            def log_message(self, *args): pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
        """

    /// Writes the app to `path` (readable by every user, for controllers that run as another) and returns the
    /// command that starts it.
    @discardableResult
    static func write(to path: String) throws -> String {
        try FileTree.write(Array(source.utf8), to: path, mode: 0o644)
        return "exec python3 '\(path)'"
    }
}
