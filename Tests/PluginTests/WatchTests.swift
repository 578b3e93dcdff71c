import DeltaSync
import Foundation
import Synchronization
import Testing

@testable import Plugin

/// `--watch` against real file events: the watcher alone, its polling fallback, and the loop pushing to a real
/// controller that goes away and comes back.
@Suite(.serialized) struct WatchTests {
    /// Waits for the events of one action to stop arriving; true when any counted.
    static func changed(_ watcher: DirectoryWatcher) async -> Bool {
        var counted = await watcher.waitForChange(timeout: .seconds(3))
        while await watcher.waitForChange(timeout: .milliseconds(300)) { counted = true }
        return counted
    }

    @Test func countsEveryKindOfChangeAndNothingIgnored() async throws {
        let root = try FileTree.makeTemporaryDirectory(prefix: "fastpush-watch-test")
        defer { try? FileTree.removeRecursively(root) }
        try FileTree.write(Array("*.log\nbuild/\n".utf8), to: root + "/.cfignore")
        try FileTree.write(Array("one\n".utf8), to: root + "/a.txt")
        try FileTree.makeDirectories(root + "/build")
        let watcher = try DirectoryWatcher(root: root, ignoreRules: try IgnoreRules.load(root: root))
        #expect(watcher.mode == .inotify)
        #expect(await watcher.waitForChange(timeout: .milliseconds(300)) == false, "nothing happened yet")

        try FileTree.write(Array("new\n".utf8), to: root + "/b.txt")
        #expect(await Self.changed(watcher), "create")
        try FileTree.write(Array("two\n".utf8), to: root + "/a.txt")
        #expect(await Self.changed(watcher), "modify (an atomic write: temp file, then rename)")
        let handle = try #require(FileHandle(forWritingAtPath: root + "/a.txt"))
        handle.seekToEndOfFile()
        handle.write(Data("appended\n".utf8))
        try handle.close()
        #expect(await Self.changed(watcher), "modify in place")
        #expect(rename(root + "/b.txt", root + "/c.txt") == 0)
        #expect(await Self.changed(watcher), "rename")
        #expect(unlink(root + "/c.txt") == 0)
        #expect(await Self.changed(watcher), "delete")

        // Written in place: an atomic write's temporary file beside them would be a change that counts.
        for path in [root + "/debug.log", root + "/build/out.o"] {
            let file = try #require(fopen(path, "w"))
            fputs("ignored\n", file)
            fclose(file)
        }
        #expect(await Self.changed(watcher) == false, "ignored files do not count")

        try FileTree.makeDirectories(root + "/src/deep")
        #expect(await Self.changed(watcher), "new directories")
        try FileTree.write(Array("later\n".utf8), to: root + "/src/deep/late.txt")
        #expect(await Self.changed(watcher), "a file in a directory that appeared after the watch started")
    }

    @Test func fallsBackToScanningWhenTheWatchLimitIsReached() async throws {
        let root = try FileTree.makeTemporaryDirectory(prefix: "fastpush-watch-test")
        defer { try? FileTree.removeRecursively(root) }
        for directory in ["a", "b", "c"] { try FileTree.makeDirectories(root + "/" + directory) }
        let watcher = try DirectoryWatcher(root: root, ignoreRules: IgnoreRules(), watchLimit: 2)
        guard case .polling(let reason) = watcher.mode else {
            Issue.record("expected the polling fallback")
            return
        }
        #expect(reason.contains("inotify watch limit"))
        #expect(await watcher.waitForChange(timeout: .milliseconds(1100)) == false)
        try FileTree.write(Array("x\n".utf8), to: root + "/b/x.txt")
        #expect(await watcher.waitForChange(timeout: .milliseconds(1100)), "the next scan sees the new file")
    }

    @Test func theLoopPushesChangesAndRidesOutAControllerRestart() async throws {
        try await ControllerHarness.with { harness in
            let terminal = Terminal(capturing: ())
            let stop = Atomic<Bool>(false)
            let target = PushTarget(label: harness.url, endpoint: try harness.endpoint())
            var options = PushOptions(directory: harness.local)
            options.watch = true
            let loop = WatchLoop(targets: [target], options: options, environment: harness.cacheEnvironment, terminal: terminal)
            let running = Task { try await loop.run(until: { stop.load(ordering: .relaxed) }) }

            func eventually(_ what: String, _ condition: () throws -> Bool) async throws {
                for _ in 0..<200 {
                    if try condition() { return }
                    try await Task.sleep(for: .milliseconds(50))
                }
                Issue.record("timed out waiting until \(what); printed: \(terminal.captured)")
            }
            try await eventually("the first sync") { terminal.captured.contains { $0.hasPrefix("synced at") } }

            try FileTree.write(Array("watched\n".utf8), to: harness.local + "/static/watched.txt")
            try await eventually("the new file is in the container") {
                (try? FileTree.read(harness.container + "/static/watched.txt")) == Array("watched\n".utf8)
            }

            // The controller goes away: the push fails and is retried until it comes back.
            await harness.controller.stop()
            try FileTree.write(Array("while away\n".utf8), to: harness.local + "/static/watched.txt")
            try await eventually("the failure is shown") { terminal.captured.contains { $0.hasPrefix("error: ") } }
            try await harness.restartController(resetContainer: false)
            try await eventually("the change arrives after the restart") {
                (try? FileTree.read(harness.container + "/static/watched.txt")) == Array("while away\n".utf8)
            }
            stop.store(true, ordering: .relaxed)
            try await running.value
            #expect(terminal.captured.contains("syncing…"))
            #expect(terminal.captured.last == "Stopped watching.")
        }
    }
}
