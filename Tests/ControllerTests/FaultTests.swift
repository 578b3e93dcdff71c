import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

@testable import DeltaSync

/// What an unlucky operator's container does to the real controller binary: directories it may not read, a disk
/// that fills up halfway through a push. Each fault ends in a clear answer and a log line, never in a stopped
/// controller or a half-written app.
@Suite(.serialized) struct FaultTests {
    /// The user containers' apps commonly run as when not root (`nobody`).
    static let nobody: (uid: UInt32, gid: UInt32) = (65534, 65534)

    /// Root reads every directory, so the controller must run as another user: as root, through `setpriv`.
    static let canRunUnprivileged = getuid() != 0 || ControllerProcess.unprivilegedLauncher != nil

    /// Whether a small tmpfs can be mounted here (root, and a kernel and container that allow it): a disk that
    /// really fills up.
    static let canMountSmallDisk: Bool = {
        guard getuid() == 0, let probe = try? FileTree.makeTemporaryDirectory(prefix: "fastpush-mount-probe") else {
            return false
        }
        defer { rmdir(probe) }
        guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount2(probe, Int32(MNT_DETACH))
        return true
    }()

    // MARK: Unreadable directories

    @Test(
        .enabled(
            if: canRunUnprivileged,
            "skipped: the tests run as root and setpriv (util-linux) is missing, so the controller cannot run as a user that mode 000 stops"
        ))
    func aDirectoryTheControllerCannotReadStopsNothing() async throws {
        let base = try FileTree.makeTemporaryDirectory(prefix: "fastpush-fault-unreadable")
        let app = base + "/app"
        var controller: ControllerProcess?
        defer {
            if let controller { kill(-controller.pid, SIGKILL) }
            // The test's own clean-up must be able to enter them again.
            chmod(app + "/locked", 0o755)
            chmod(app + "/later", 0o755)
            try? FileTree.removeRecursively(base)
        }
        chmod(base, 0o755)  // the unprivileged controller reaches its app and backend through it
        for directory in [app + "/static", app + "/locked", base + "/local/static"] { try FileTree.makeDirectories(directory) }
        try FileTree.write(Array("print('old')\n".utf8), to: app + "/app.py")
        try FileTree.write(Array("body{}\n".utf8), to: app + "/static/page.css")
        try FileTree.write(Array("not for the controller\n".utf8), to: app + "/locked/secret.txt")
        try FileTree.write(Array("half".utf8), to: app + "/locked/.fastpush-42-1-1.tmp")
        try SmallestApp.write(to: base + "/backend.py")
        let user = getuid() == 0 ? Self.nobody : nil
        if let user {
            for path in [app, app + "/app.py", app + "/static", app + "/static/page.css"] {
                #expect(lchown(path, user.uid, user.gid) == 0)
            }
        }
        #expect(chmod(app + "/locked", 0) == 0)

        let token = "fault-token-\(UInt32.random(in: 0...UInt32.max))"
        let log = base + "/controller.log"
        let started = try ControllerProcess(
            app: app, backendCommand: "exec python3 '\(base)/backend.py'", token: token, log: log, user: user)
        controller = started
        // It starts (the start-up sweep skips the directory) and answers the status, which scans the app.
        _ = try await started.waitUntilBackendRuns(client: .shared)

        // The manifest leaves the directory out, says so, and lists the rest.
        let answer = try await Self.request(started, "v2/manifest")
        #expect(answer.status == 200, "\(answer.text)")
        let skipped = answer.headers["X-Fastpush-Skipped"].joined(separator: "\n")
        #expect(skipped.contains("\"locked\"") && skipped.contains("Permission denied"), "\(skipped)")
        let remote = try Manifest(decoding: answer.body)
        #expect(remote["app.py"] != nil && remote["static/page.css"] != nil)
        #expect(remote["locked"] == nil && remote["locked/secret.txt"] == nil)

        // A push of the other files works.
        let local = base + "/local"
        try FileTree.write(Array("print('new')\n".utf8), to: local + "/app.py")
        try FileTree.write(Array("body{}\n".utf8), to: local + "/static/page.css")
        let pushed = try await Self.request(started, "v2/push", method: .POST, body: try ClientPlan.bundle(from: remote, app: app, to: local))
        #expect(pushed.status == 200, "\(pushed.text)")
        #expect(try FileTree.read(app + "/app.py") == Array("print('new')\n".utf8))

        // The client says what the controller leaves out, and pushes the rest.
        let client = try #require(BuildProducts.path(of: "fastpush"), "fastpush is built with the tests")
        try FileTree.write(Array("print('newer')\n".utf8), to: local + "/app.py")
        let run = try Process.runCollectingOutput(
            client, ["push", "http://127.0.0.1:\(started.port)", local, "--token", token],
            environment: ["FASTPUSH_CACHE_DIR": base + "/cache", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("The controller cannot read some of the app's files; a push leaves them as they are:"), "\(run.output)")
        #expect(run.output.contains("[SKIP] \"locked\": "), "\(run.output)")
        #expect(try FileTree.read(app + "/app.py") == Array("print('newer')\n".utf8))

        // A directory that becomes unreadable later is left out the same way; nothing fails.
        try FileTree.makeDirectories(app + "/later")
        #expect(chmod(app + "/later", 0) == 0)
        let again = try await Self.request(started, "v2/manifest")
        #expect(again.status == 200, "\(again.text)")
        #expect(again.headers["X-Fastpush-Skipped"].joined().contains("\"later\""))
        #expect(try await Self.request(started, "v2/status").status == 200)
        #expect(try await Self.request(started, "files").status == 200)

        // The log says it, once per directory however often the app is scanned.
        let text = try String(contentsOfFile: log, encoding: .utf8)
        print("unreadable directories, the controller's warnings:\n" + text.split(separator: "\n").filter { $0.contains("warning") }.joined(separator: "\n"))
        #expect(text.contains("warning: not looking for temporary files in \"\(app)/locked\""), "\(text)")
        #expect(text.components(separatedBy: "leaving \"locked\" out of the manifest").count - 1 == 1, "\(text)")
        #expect(text.contains("leaving \"later\" out of the manifest"), "\(text)")
        await started.terminate()
        controller = nil
    }

    // MARK: A full disk

    @Test(
        .enabled(
            if: canMountSmallDisk,
            "skipped: mounting a 4 MiB tmpfs is not permitted here (the tests are not root, or the container forbids mount)"
        ))
    func aFullDiskChangesNothingAndSaysWhy() async throws {
        let base = try FileTree.makeTemporaryDirectory(prefix: "fastpush-fault-disk")
        let app = base + "/app"
        var controller: ControllerProcess?
        var mounted = false
        defer {
            if let controller { kill(-controller.pid, SIGKILL) }
            if mounted { umount2(app, Int32(MNT_DETACH)) }
            try? FileTree.removeRecursively(base)
        }
        try FileTree.makeDirectories(app)
        try FileTree.makeDirectories(base + "/local")
        try #require(mount("tmpfs", app, "tmpfs", 0, "size=4m") == 0, "mount a 4 MiB tmpfs: \(String(cString: strerror(errno)))")
        mounted = true
        try FileTree.write(Array("print('app')\n".utf8), to: app + "/app.py")
        try SmallestApp.write(to: base + "/backend.py")
        let token = "fault-token-\(UInt32.random(in: 0...UInt32.max))"
        let log = base + "/controller.log"
        let started = try ControllerProcess(
            app: app, backendCommand: "exec python3 '\(base)/backend.py'", token: token, log: log)
        controller = started
        _ = try await started.waitUntilBackendRuns(client: .shared)
        let freeBefore = try #require(SystemCall.availableBytes(on: app))

        // The original API: a 1 MiB file that fits and an 8 MiB one that does not, in one upload.
        let small = [UInt8](repeating: 0x61, count: 1 << 20)
        let large = [UInt8](repeating: 0x62, count: 8 << 20)
        let upload =
            "{\"small.bin\": {\"Content\": \"\(Data(small).base64EncodedString())\"}, "
            + "\"large.bin\": {\"Content\": \"\(Data(large).base64EncodedString())\"}}"
        let legacy = try await Self.request(started, "files", method: .PUT, body: Array(upload.utf8))
        #expect(legacy.status == 507, "\(legacy.status) \(legacy.text)")
        let health = try #require(
            (try? JSONSerialization.jsonObject(with: Data(legacy.body)) as? [String: Any])?["Health"] as? String,
            "the answer keeps the original's JSON shape: \(legacy.text)")
        print("a full disk, the answer to PUT files: \(legacy.status) \(health)")
        #expect(health.hasPrefix("Failed to update 2 files: "), "\(health)")
        #expect(health.contains("disk is full") && health.contains("\"large.bin\" (8388608 bytes) did not fit"), "\(health)")
        #expect(!health.contains(".fastpush-staging"), "\(health)")
        #expect(try Self.names(in: app) == ["app.py"], "nothing of the upload is left, not even the file that fitted")
        #expect(SystemCall.availableBytes(on: app) == freeBefore, "no space is left taken")

        // A v2 push of the same kind: 507 with the plain reason, not 500 with the staging path.
        let local = base + "/local"
        try FileTree.write(Array("print('app')\n".utf8), to: local + "/app.py")
        try FileTree.write(large, to: local + "/large.bin")
        let manifest = try Manifest(decoding: try await Self.request(started, "v2/manifest").body)
        let push = try await Self.request(
            started, "v2/push", method: .POST, body: try ClientPlan.bundle(from: manifest, app: app, to: local))
        #expect(push.status == 507, "\(push.status) \(push.text)")
        let reason = try #require(
            ((try? JSONSerialization.jsonObject(with: Data(push.body)) as? [String: Any])?["error"] as? [String: Any])?[
                "message"] as? String, "\(push.text)")
        #expect(reason.contains("the server's disk is full: \"large.bin\" (8388608 bytes) did not fit"), "\(reason)")
        #expect(!reason.contains(".fastpush-staging"), "\(reason)")
        #expect(try Self.names(in: app) == ["app.py"])
        #expect(SystemCall.availableBytes(on: app) == freeBefore)

        // The log says both, and the controller goes on taking what fits.
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.components(separatedBy: "warning: ").filter { $0.contains("disk is full") }.count == 2, "\(text)")
        let fits = "{\"small.bin\": {\"Content\": \"\(Data(small).base64EncodedString())\"}}"
        let after = try await Self.request(started, "files", method: .PUT, body: Array(fits.utf8))
        #expect(after.status == 200, "\(after.text)")
        #expect(try FileTree.read(app + "/small.bin") == small)
        await started.terminate()
        controller = nil
    }

    // MARK: Helpers

    /// The names in `directory`, sorted.
    static func names(in directory: String) throws -> [String] {
        try SystemCall.directoryNames(directory).map { String(decoding: $0, as: UTF8.self) }.sorted()
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body.prefix(4000), as: UTF8.self) }
    }

    /// A control request with the token.
    static func request(
        _ controller: ControllerProcess, _ route: String, method: HTTPMethod = .GET, body: [UInt8]? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(controller.port)/_fastpush/\(route)")
        request.method = method
        request.headers.add(name: "x-auth-token", value: controller.token)
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: collected))
    }
}
