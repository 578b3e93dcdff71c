import DeltaSync

/// A small Python web app with a data file, for the demo and the tests.
enum ExampleApp {
    /// The command that starts the app; it listens on `$PORT`.
    static let command = "exec python3 app.py"

    static func create(at root: String) throws {
        try FileTree.makeDirectories(root + "/templates")
        try FileTree.makeDirectories(root + "/static")
        try FileTree.makeDirectories(root + "/data")
        try FileTree.write(Array(appSource(greeting: "Hello").utf8), to: root + "/app.py")
        try FileTree.write(Array("<h1>{{ greeting }}</h1>\n".utf8), to: root + "/templates/index.html")
        try FileTree.write(Array("<p>old page</p>\n".utf8), to: root + "/templates/old.html")
        try FileTree.write(Array("body { font-family: sans-serif; }\n".utf8), to: root + "/static/style.css")
        try FileTree.write(Array("#!/bin/sh\nexec python3 app.py\n".utf8), to: root + "/run.sh")
        try FileTree.write(Array("*.log\n".utf8), to: root + "/.cfignore")
        try FileTree.write(Array("local debugging output\n".utf8), to: root + "/debug.log")
        try FileTree.write(pseudoRandomBytes(count: 4 << 20, seed: 7), to: root + "/data/model.bin")
    }

    /// What a developer does between two pushes.
    static func edit(at root: String) throws {
        try FileTree.write(Array(appSource(greeting: "Hello, FastPush").utf8), to: root + "/app.py")
        var model = try FileTree.read(root + "/data/model.bin")
        for offset in stride(from: 1_000_000, to: 1_000_400, by: 1) { model[offset] ^= 0x5A }
        try FileTree.write(model, to: root + "/data/model.bin")
        try FileTree.write(Array("console.log('live reload')\n".utf8), to: root + "/static/app.js")
        try FileTree.removeRecursively(root + "/templates/old.html")
        try FileTree.write(Array("#!/bin/sh\nexec python3 app.py\n".utf8), to: root + "/run.sh", mode: 0o755)
        try FileTree.write(Array("more local output\n".utf8), to: root + "/debug.log")
    }

    /// A web app on Python's standard library only, so it runs wherever python3 does.
    private static func appSource(greeting: String) -> String {
        var lines = [
            "import http.server, os", "", "GREETING = \"\(greeting)\"", "", "PAGES = {",
        ]
        for index in 0..<120 { lines.append("    \"/page/\(index)\": \"page \(index)\",") }
        lines += [
            "}", "",
            "class Handler(http.server.BaseHTTPRequestHandler):",
            "    def do_GET(self):",
            "        with open(os.path.join(\"templates\", \"index.html\")) as template:",
            "            page = template.read().replace(\"{{ greeting }}\", PAGES.get(self.path, GREETING))",
            "        body = page.encode()",
            "        self.send_response(200 if self.path == \"/\" or self.path in PAGES else 404)",
            "        self.send_header(\"Content-Type\", \"text/html\")",
            "        self.send_header(\"Content-Length\", str(len(body)))",
            "        self.end_headers()",
            "        self.wfile.write(body)",
            "", "    def log_message(self, *args):", "        pass", "",
            "http.server.ThreadingHTTPServer((\"127.0.0.1\", int(os.environ[\"PORT\"])), Handler).serve_forever()", "",
        ]
        return lines.joined(separator: "\n")
    }

    /// Deterministic bytes that do not compress, standing in for a binary asset.
    static func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        return bytes
    }
}
