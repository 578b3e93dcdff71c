import DeltaSync
import Foundation
import Glibc
import Testing
import TestSupport

@testable import Plugin

/// The client against a controller that speaks only the original API (`GET/PUT /files`), as the Go
/// cf-fastpush-controller does: a small Python server with the same routes, answers and token check.
@Suite(.serialized) struct LegacyFallbackTests {
    static let legacyController = #"""
        import base64, hashlib, http.server, json, os, sys
        ROOT, TOKEN = sys.argv[1], sys.argv[2]
        class Handler(http.server.BaseHTTPRequestHandler):
            def reply(self, status, body, kind="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def authorized(self):
                if self.headers.get("x-auth-token") == TOKEN: return True
                self.reply(401, b"Unauthorized", "text/plain")
                return False
            def listing(self):
                files = {}
                for folder, _, names in os.walk(ROOT):
                    for name in names:
                        path = os.path.join(folder, name)
                        with open(path, "rb") as f: digest = hashlib.sha256(f.read()).hexdigest()
                        files[os.path.relpath(path, ROOT)] = {"Checksum": digest, "Modification": int(os.path.getmtime(path)), "Content": None}
                return files
            def do_GET(self):
                if self.path == "/_fastpush/files":
                    if self.authorized(): self.reply(200, (json.dumps(self.listing()) + "\n").encode())
                else:
                    self.reply(404, b"404 page not found\n", "text/plain")
            def do_PUT(self):
                if self.path != "/_fastpush/files": return self.reply(404, b"404 page not found\n", "text/plain")
                if not self.authorized(): return
                upload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                for path, entry in upload.items():
                    target = os.path.join(ROOT, path)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with open(target, "wb") as f: f.write(base64.b64decode(entry["Content"] or ""))
                self.reply(200, (json.dumps({"Health": "Updated %d files without restart" % len(upload)}) + "\n").encode())
            def log_message(self, *args): pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    @Test func fallsBackToWholeFilesAndSaysSo() async throws {
        let workspace = try FileTree.makeTemporaryDirectory(prefix: "fastpush-legacy-test")
        defer { try? FileTree.removeRecursively(workspace) }
        let container = workspace + "/container"
        let local = workspace + "/local"
        try ExampleApp.create(at: container)
        try ExampleApp.create(at: local)
        try ExampleApp.edit(at: local)
        try FileTree.write(Array(Self.legacyController.utf8), to: workspace + "/legacy.py")

        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", workspace + "/legacy.py", container, "app-guid"]
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        defer {
            // SIGKILL: a SIGTERM that this test process ignores would be ignored by its child too.
            kill(server.processIdentifier, SIGKILL)
            server.waitForEnd()
        }
        let port = try #require(Int(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))

        let endpoint = try ControllerEndpoint(appURL: "http://127.0.0.1:\(port)", token: "app-guid")
        let terminal = Terminal(capturing: ())
        let session = PushSession(
            client: ControllerClient(endpoint: endpoint),
            cache: PushCache(endpoint: endpoint, environment: ["FASTPUSH_CACHE_DIR": workspace + "/cache"]),
            options: PushOptions(directory: local), terminal: terminal)
        _ = try await session.run()
        let lines = terminal.captured
        #expect(lines.first?.contains("speaks only the original API (v1)") == true)
        #expect(lines.contains { $0.hasPrefix("[MOD]  app.py (") && $0.hasSuffix(", sent whole as base64)") })
        #expect(lines.contains("[NEW]  static/app.js (27 B, sent whole as base64)"))
        #expect(lines.contains("[KEEP] templates/old.html (deleted here; the original API cannot delete it)"))
        #expect(lines.contains("The controller says: Updated 3 files without restart"))
        #expect(try FileTree.read(container + "/app.py") == FileTree.read(local + "/app.py"))
        #expect(try FileTree.read(container + "/data/model.bin") == FileTree.read(local + "/data/model.bin"))
        #expect(try FileTree.read(container + "/static/app.js") == FileTree.read(local + "/static/app.js"))
    }
}
