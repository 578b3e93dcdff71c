@testable import Controller
@testable import DeltaSync
import Glibc
import Testing

/// What a controller tidies when it starts on an app directory a crashed controller left.
@Suite struct PushServiceStartTests {
    @Test func temporaryFilesOfWritesCutShortAreRemovedAtStart() throws {
        let app = try FileTree.makeTemporaryDirectory(prefix: "fastpush-start-test")
        defer { try? FileTree.removeRecursively(app) }
        try FileTree.makeDirectories(app + "/static")
        try FileTree.write(Array("print(1)\n".utf8), to: app + "/app.py")
        // What an upload through the original API leaves when the controller is killed between two files.
        try FileTree.write(Array("half a file".utf8), to: app + "/static/.fastpush-4242-1-1.tmp")
        _ = try PushService(root: app, maximumFileSize: 1 << 20)
        #expect(access(app + "/static/.fastpush-4242-1-1.tmp", F_OK) != 0)
        #expect(try FileTree.read(app + "/app.py") == Array("print(1)\n".utf8))
    }
}
