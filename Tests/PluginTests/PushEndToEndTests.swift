import AsyncHTTPClient
import Controller
import DeltaSync
import Foundation
import Glibc
import Testing

@testable import Plugin

/// The client against a real controller on a loopback socket with the example app running behind it.
@Suite(.serialized) struct PushEndToEndTests {
    @Test func pushesNewModifiedDeletedExecBitAndSymlinkAndLeavesIgnoredFilesAlone() async throws {
        try await ControllerHarness.with { harness in
            try ExampleApp.edit(at: harness.local)
            #expect(symlink("static/app.js", harness.local + "/latest.js") == 0)
            try FileTree.write(Array("container's own log\n".utf8), to: harness.container + "/debug.log")
            let (outcome, lines) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(outcome.requests == 3, "no cache: the tree exchange, signatures, bundle")
            #expect(lines.contains("[DEL]  templates/old.html"))
            // A file's line: its size, then what was sent and in which form (app.py, below the size worth a
            // signature, goes whole; the model as a delta against the server's signature).
            func printed(_ start: String, _ end: String) -> Bool {
                lines.contains { $0.hasPrefix(start) && $0.hasSuffix(end) }
            }
            #expect(printed("[NEW]  static/app.js (27 B, sent ", " whole)"))
            #expect(lines.contains("[NEW]  latest.js"))
            #expect(printed("[MOD]  app.py (3.9 KiB, sent ", " whole)"))
            #expect(printed("[MOD]  data/model.bin (4.0 MiB, sent ", " as a delta)"))
            #expect(lines.contains { $0.hasPrefix("6 changes pushed: ") && $0.contains(" sent against 4.0 MiB for the changed") })
            #expect(lines.contains("[MODE] run.sh"))
            #expect(!lines.contains { $0.contains("debug.log") })

            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
            #expect(try FileTree.read(harness.container + "/data/model.bin") == FileTree.read(harness.local + "/data/model.bin"))
            #expect(access(harness.container + "/templates/old.html", F_OK) != 0)
            var info = stat()
            #expect(stat(harness.container + "/run.sh", &info) == 0 && info.st_mode & 0o100 != 0)
            var target = [CChar](repeating: 0, count: 256)
            let length = readlink(harness.container + "/latest.js", &target, 255)
            #expect(length > 0 && String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) == "static/app.js")
            #expect(String(decoding: try FileTree.read(harness.container + "/debug.log"), as: UTF8.self) == "container's own log\n")
            // The whole 4 MiB model did not travel: a few hundred changed bytes did.
            #expect(outcome.bytesSent < 64 << 10)
        }
    }

    /// "café" composed and decomposed (equal as Swift strings, two names on Linux), and names holding a line feed
    /// or a carriage return: each is pushed, and once the server has them, a change travels as a delta against
    /// the server's signature of that very file.
    @Test func namesUnicodeCallsEqualAndNamesWithLineBreaksArePushedAsDeltas() async throws {
        try await ControllerHarness.with { harness in
            let names = ["caf\u{E9}.bin", "cafe\u{301}.bin", "line\nfeed.bin", "carriage\rreturn.bin"]
            for name in names {
                try FileTree.write((0..<(64 << 10)).map { _ in UInt8.random(in: 0...255) }, to: harness.local + "/" + name)
            }
            let (first, _) = try await harness.push()
            #expect(first.succeeded)
            for name in names {
                #expect(try FileTree.read(harness.container + "/" + name) == FileTree.read(harness.local + "/" + name), "\(name.debugDescription)")
            }
            for name in names {
                var content = try FileTree.read(harness.local + "/" + name)
                content[30_000] ^= 0xFF
                try FileTree.write(content, to: harness.local + "/" + name)
            }
            // No cached signatures: the client asks the server for each file's.
            harness.cacheEnvironment = ["FASTPUSH_CACHE_DIR": harness.workspace + "/fresh-cache"]
            let (second, lines) = try await harness.push()
            #expect(second.succeeded)
            #expect(lines.filter { $0.hasPrefix("[MOD]") && $0.hasSuffix(" as a delta)") }.count == names.count, "\(lines)")
            #expect(second.bytesSent < 16 << 10, "four one-byte changes, not four 64 KiB files")
            for name in names {
                #expect(try FileTree.read(harness.container + "/" + name) == FileTree.read(harness.local + "/" + name), "\(name.debugDescription)")
            }
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
        }
    }

    @Test func dryRunChangesNothingAndShowsTheDecision() async throws {
        try await ControllerHarness.with { harness in
            let before = try harness.containerManifest(ignoringLocalRules: false)
            let pid = try await harness.status().backend.pid
            try ExampleApp.edit(at: harness.local)
            let (outcome, lines) = try await harness.push { $0.dryRun = true }
            #expect(outcome.answer?.dryRun == true)
            #expect(lines.contains { $0.hasPrefix("5 changes would be pushed: ") && $0.contains(" to send against ") })
            #expect(lines.contains("Dry run: nothing was changed."))
            #expect(lines.contains { $0.hasPrefix("Would restart the app") }, "app.py changed: the rules restart")
            #expect(try harness.containerManifest(ignoringLocalRules: false) == before)
            #expect(try await harness.status().backend.pid == pid)
            // A dry run leaves no manifest cache behind: the real push reads the server's manifest again (the
            // signatures it fetched are kept: they are keyed by content).
            let (real, _) = try await harness.push()
            #expect(real.requests == 2)
        }
    }

    @Test func restartsOnlyWhenTheRulesSaySo() async throws {
        try await ControllerHarness.with { harness in
            let firstPid = try #require(try await harness.status().backend.pid)
            try FileTree.write(Array("body { color: blue; }\n".utf8), to: harness.local + "/static/style.css")
            let (quiet, quietLines) = try await harness.push()
            #expect(quiet.answer?.restart == false)
            #expect(quietLines.contains { $0.hasPrefix("No restart needed") })
            #expect(try await harness.status().backend.pid == firstPid)

            try ExampleApp.edit(at: harness.local)
            let (restarted, lines) = try await harness.push()
            #expect(restarted.answer?.restart == true)
            #expect(restarted.answer?.backendReady == true)
            #expect(lines.contains { $0.hasPrefix("The app is back after") })
            #expect(try await harness.page() == "<h1>Hello, FastPush</h1>", "the restarted app runs the new code")
            #expect(lines.contains { $0.contains("app.py") })
            let status = try await harness.status()
            #expect(status.backend.state == "running")
            #expect(status.backend.pid != firstPid)
        }
    }

    @Test func theDeveloperCanOverruleTheRules() async throws {
        try await ControllerHarness.with { harness in
            let firstPid = try #require(try await harness.status().backend.pid)
            try ExampleApp.edit(at: harness.local)
            let (kept, keptLines) = try await harness.push { $0.restart = .never }
            #expect(kept.answer?.action == "none")
            #expect(keptLines.contains { $0.contains("--no-restart") })
            #expect(try await harness.status().backend.pid == firstPid)
            #expect(try await harness.page() == "<h1>Hello</h1>", "the running app still has the old code")

            try FileTree.write(Array("body { color: green; }\n".utf8), to: harness.local + "/static/style.css")
            let (forced, _) = try await harness.push { $0.restart = .always }
            #expect(forced.answer?.action == "restart")
            #expect(forced.answer?.backendReady == true)
            #expect(try await harness.status().backend.pid != firstPid)
            #expect(try await harness.page() == "<h1>Hello, FastPush</h1>")
        }
    }

    @Test func steadyStatePushesAreOneRequest() async throws {
        try await ControllerHarness.with { harness in
            try FileTree.write(Array("first\n".utf8), to: harness.local + "/static/note.txt")
            #expect(try await harness.push().outcome.requests == 2, "no cache: the tree exchange, bundle (no large file changed)")
            // A change to a file the last push sent, and to a large file the server had before: one request each,
            // with the large file still a delta (its signature was cached after the first push).
            try FileTree.write(Array("second\n".utf8), to: harness.local + "/static/note.txt")
            var model = try FileTree.read(harness.local + "/data/model.bin")
            model[2_000_000] ^= 1
            try FileTree.write(model, to: harness.local + "/data/model.bin")
            let (outcome, _) = try await harness.push()
            #expect(outcome.requests == 1)
            #expect(outcome.bytesSent < 32 << 10)
            #expect(try FileTree.read(harness.container + "/data/model.bin") == model)
            // Nothing changed: one small request that the server answers 304.
            let (idle, lines) = try await harness.push()
            #expect(idle.requests == 1)
            #expect(idle.answer == nil)
            #expect(lines.contains { $0.hasPrefix("Nothing to push") })
        }
    }

    @Test func aStaleCacheCostsASecondRoundTripNotAWrongFile() async throws {
        try await ControllerHarness.with { harness in
            try FileTree.write(Array("v1\n".utf8), to: harness.local + "/static/note.txt")
            _ = try await harness.push()
            // The container goes back to something else behind the client's back (a restart, another developer).
            try FileTree.write(Array("someone else's\n".utf8), to: harness.container + "/static/note.txt")
            try FileTree.write(Array("v2\n".utf8), to: harness.local + "/static/note.txt")
            let (outcome, lines) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(lines.contains { $0.hasPrefix("The app's files are not what the last push left") })
            #expect(outcome.requests >= 3)
            #expect(try FileTree.read(harness.container + "/static/note.txt") == Array("v2\n".utf8))
        }
    }

    @Test func aConflictCostsOnlyTheFilesThatConflicted() async throws {
        try await ControllerHarness.with { harness in
            try FileTree.write(Array("v1\n".utf8), to: harness.local + "/static/note.txt")
            _ = try await harness.push()
            // Someone else changes one file; here, that file changes and a large new one (incompressible) appears.
            try FileTree.write(Array("someone else's\n".utf8), to: harness.container + "/static/note.txt")
            try FileTree.write(Array("v2\n".utf8), to: harness.local + "/static/note.txt")
            let large = (0..<(300 << 10)).map { _ in UInt8.random(in: 0...255) }
            try FileTree.write(large, to: harness.local + "/static/large.bin")
            let (outcome, lines) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(lines.contains { $0.hasPrefix("The app's files are not what the last push left") })
            // The refused bundle carried the large file; the retry only the note.
            #expect(outcome.bytesSent < large.count + large.count / 2, "the retry sent the large file again")
            #expect(try #require(try await harness.status().lastPush?.bytesReceived) < 4096)
            #expect(try FileTree.read(harness.container + "/static/note.txt") == Array("v2\n".utf8))
            #expect(try FileTree.read(harness.container + "/static/large.bin") == large)
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
        }
    }

    @Test func filesTheAppWroteItselfAreNotDeletedOnceTheClientKnowsTheServer() async throws {
        try await ControllerHarness.with { harness in
            try FileTree.write(Array("v1\n".utf8), to: harness.local + "/static/note.txt")
            _ = try await harness.push()
            try FileTree.makeDirectories(harness.container + "/__pycache__")
            try FileTree.write(Array("bytecode".utf8), to: harness.container + "/__pycache__/app.pyc")
            try FileTree.write(Array("someone else's\n".utf8), to: harness.container + "/static/note.txt")
            try FileTree.write(Array("v2\n".utf8), to: harness.local + "/static/note.txt")
            _ = try await harness.push()
            #expect(try FileTree.read(harness.container + "/__pycache__/app.pyc") == Array("bytecode".utf8))
            // --resync makes the server match the directory, as cf push would.
            let (_, lines) = try await harness.push { $0.resync = true }
            #expect(lines.contains("[DEL]  __pycache__/app.pyc"))
            #expect(access(harness.container + "/__pycache__/app.pyc", F_OK) != 0)
        }
    }

    @Test func aWrongTokenIsAClearErrorAndWritesNothing() async throws {
        try await ControllerHarness.with { harness in
            let before = try harness.containerManifest(ignoringLocalRules: false)
            try ExampleApp.edit(at: harness.local)
            let error = await #expect(throws: ClientError.self) { try await harness.push(token: "wrong") }
            #expect(error?.message.contains("refused the credentials") == true)
            #expect(error?.message.contains("--token") == true)
            #expect(try harness.containerManifest(ignoringLocalRules: false) == before)
        }
    }

    @Test func aPushAfterAContainerRestartCatchesUpInOneGo() async throws {
        try await ControllerHarness.with { harness in
            try ExampleApp.edit(at: harness.local)
            _ = try await harness.push()
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)

            // The container restarts and goes back to what `cf push` staged: the old app.py, the deleted template.
            try await harness.restartController(resetContainer: true)
            let endpoint = try harness.endpoint()
            let report = try await StatusReport.gather(
                client: ControllerClient(endpoint: endpoint), directory: harness.local,
                cache: PushCache(endpoint: endpoint, environment: harness.cacheEnvironment))
            #expect(report.containerRestartedSinceLastPush)
            #expect(report.localChanges.contains("app.py"))

            try FileTree.write(Array("body { color: teal; }\n".utf8), to: harness.local + "/static/style.css")
            let (outcome, lines) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(lines.contains { $0.hasPrefix("The container restarted since the last push") })
            #expect(lines.contains("[DEL]  templates/old.html"), "a file the droplet brought back goes again")
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
            #expect(try await harness.page() == "<h1>Hello, FastPush</h1>")

            // The next push knows this container again: nothing to catch up.
            let (idle, idleLines) = try await harness.push()
            #expect(idle.requests == 1)
            #expect(!idleLines.contains { $0.contains("restarted since") })

            // A restart noticed by a push with nothing new to send: the status says so, and the push catches up.
            try await harness.restartController(resetContainer: true)
            let (quiet, quietLines) = try await harness.push()
            #expect(quietLines.contains { $0.hasPrefix("The container restarted since the last push") })
            #expect(quietLines.contains("[DEL]  templates/old.html"))
            #expect(quiet.requests == 3, "the manifest check (answered with the manifest), the status, the bundle")
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
        }
    }

    /// The summary counts both directions over every request. A cold push of a one-line change in a tree of
    /// 1,000 files in 100 directories exchanges a summary of its directories and the few that differ, not the
    /// server's whole manifest.
    @Test func aColdPushCostsWhatDiffersNotTheWholeTree() async throws {
        try await ControllerHarness.with { harness in
            for directory in 0..<20 {
                for subdirectory in 0..<5 {
                    let path = "lib/d\(directory)/s\(subdirectory)"
                    for root in [harness.local, harness.container] {
                        try FileTree.makeDirectories(root + "/" + path)
                        for file in 0..<10 {
                            try FileTree.write(Array("module \(path)/\(file)\n".utf8), to: "\(root)/\(path)/f\(file).txt")
                        }
                    }
                }
            }
            let manifestBytes = try harness.containerManifest(ignoringLocalRules: false).encoded().count
            try FileTree.write(Array("module lib/d7/s3/4, edited\n".utf8), to: harness.local + "/lib/d7/s3/f4.txt")

            let (outcome, lines) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(lines.contains { $0.hasPrefix("[MOD]  lib/d7/s3/f4.txt (27 B, sent ") }, "\(lines)")
            #expect(outcome.requests == 2, "the tree exchange, the bundle")
            #expect(outcome.bytesReceived * 4 < manifestBytes, "received \(outcome.bytesReceived) B; the whole manifest is \(manifestBytes) B")
            #expect(outcome.bytesSent < 16 << 10)
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
            let summary = try #require(lines.first { $0.hasPrefix("1 change pushed: ") }, "\(lines)")
            #expect(summary.contains("\(ByteCount(outcome.bytesSent)) sent against "), "\(summary)")
            #expect(summary.contains(", \(ByteCount(outcome.bytesReceived)) received, 2 requests"), "\(summary)")
        }
    }

    /// New files that share text go with a shared dictionary once the controller has said it reads one, and
    /// arrive exactly.
    @Test func newFilesShareADictionaryWithAControllerThatReadsOne() async throws {
        try await ControllerHarness.with { harness in
            try FileTree.makeDirectories(harness.local + "/views")
            var text = ""
            for index in 0..<40 {
                text += "def render_view_\(index)(request, context):\n    return template.render(request, context, name=\"view\(index)\")\n"
                try FileTree.write(Array(text.utf8), to: harness.local + "/views/v\(index).py")
            }
            let (outcome, _) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
            let cache = PushCache(endpoint: try harness.endpoint(), environment: harness.cacheEnvironment)
            #expect(cache.load()?.state.features == [WireFeature.sharedDictionary])
            // The next push of new files uses it (the cache says the controller reads it) and applies exactly.
            for index in 0..<40 {
                try FileTree.write(Array((text + "# \(index)\n").utf8), to: harness.local + "/views/w\(index).py")
            }
            let withoutDictionary = try PushPlanner(localRoot: harness.local).plan(
                local: harness.localManifest(), remote: harness.containerManifest(), dictionary: .none
            ).bundle.encoded().count
            let (next, _) = try await harness.push()
            #expect(next.succeeded)
            #expect(next.requests == 1)
            #expect(next.bytesSent < withoutDictionary, "sent \(next.bytesSent) B; without a dictionary \(withoutDictionary) B")
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
        }
    }

    /// A directory on the server that the client has nothing of costs one entry when the push leaves it alone
    /// (ignored locally), and one more request when the push must delete it (`--resync`, which makes the server
    /// match the directory).
    @Test func aDirectoryOnlyTheServerHasIsReadOnlyWhenThePushMustDeleteIt() async throws {
        try await ControllerHarness.with { harness in
            for root in [harness.container + "/node_modules", harness.container + "/tmp-cache"] {
                for module in 0..<50 {
                    try FileTree.makeDirectories("\(root)/m\(module)")
                    try FileTree.write(Array("exports.n = \(module)\n".utf8), to: "\(root)/m\(module)/index.js")
                }
            }
            try FileTree.write(Array("node_modules/\n".utf8), to: harness.local + "/.cfignore")
            try FileTree.write(Array("first\n".utf8), to: harness.local + "/static/note.txt")
            let (outcome, lines) = try await harness.push { $0.resync = true }
            #expect(outcome.succeeded)
            #expect(outcome.requests == 3, "the tree exchange, the inside of tmp-cache (to delete it), the bundle")
            #expect(lines.contains("[DEL]  tmp-cache/m7/index.js"))
            #expect(access(harness.container + "/tmp-cache", F_OK) != 0)
            #expect(access(harness.container + "/node_modules/m7/index.js", F_OK) == 0, "ignored locally: left alone")
            #expect(!lines.contains { $0.contains("node_modules") })
        }
    }

    /// Right after `cf push` the server already has the files: the first push finds nothing to send, yet leaves
    /// the client as ready as a push that sent them, so the next edit of a large file is a delta in one request.
    @Test func aFirstPushWithNothingToSendLeavesTheSignaturesTheNextPushNeeds() async throws {
        try await ControllerHarness.with { harness in
            let large = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255) }
            try FileTree.write(large, to: harness.container + "/static/large.bin")
            try FileTree.write(large, to: harness.local + "/static/large.bin")
            let (idle, idleLines) = try await harness.push()
            #expect(idle.requests == 1, "the tree exchange only")
            #expect(idle.answer == nil)
            #expect(idleLines.contains { $0.hasPrefix("Nothing to push") && $0.hasSuffix(" received)") }, "\(idleLines)")

            var edited = large
            edited[500_000] ^= 0xFF
            try FileTree.write(edited, to: harness.local + "/static/large.bin")
            let (outcome, lines) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(outcome.requests == 1, "the bundle alone: the signature was kept by the first push")
            #expect(lines.contains { $0.hasPrefix("[MOD]  static/large.bin (1.0 MiB, sent ") && $0.hasSuffix(" as a delta)") }, "\(lines)")
            #expect(outcome.bytesSent < 32 << 10, "a one-byte edit, not the 1 MiB file")
            #expect(try FileTree.read(harness.container + "/static/large.bin") == edited)
        }
    }

    @Test func scatteredEditsOfALargeFileCostTheKeptSignaturesSmallBlocks() async throws {
        try await ControllerHarness.with { harness in
            var generator = SystemRandomNumberGenerator()
            let large = (0..<(1 << 20)).map { _ in generator.next() as UInt64 }.withUnsafeBytes { Array($0) }
            try FileTree.write(large, to: harness.container + "/static/large.bin")
            try FileTree.write(large, to: harness.local + "/static/large.bin")
            _ = try await harness.push()

            // 12 one-byte edits far apart: each costs a 2 KiB block of a signature the server would send for these
            // 8 MiB (24 KiB in all), and one or two 256-byte blocks of the one the client kept.
            var edited = large
            for edit in 0..<12 { edited[edit * 600_000 + 12_345] ^= 0xFF }
            try FileTree.write(edited, to: harness.local + "/static/large.bin")
            let (outcome, _) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(outcome.requests == 1, "the bundle alone")
            #expect(outcome.bytesSent < 12 << 10, "\(outcome.bytesSent) bytes sent")
            #expect(try FileTree.read(harness.container + "/static/large.bin") == edited)
        }
    }

    @Test func aWatchLoopsNextPushReadsOnlyWhatChangedWithoutTheStatCacheFile() async throws {
        try await ControllerHarness.with { harness in
            // The files were written a moment ago: a scanner that trusts them at once, so that the count below
            // depends on the kept scanner alone, not on the clock.
            try FileTree.makeDirectories(harness.local + "/static/pages")
            for index in 0..<20 { try FileTree.write(Array("page \(index)\n".utf8), to: harness.local + "/static/pages/\(index).txt") }
            var trusting = StatCache<FileDigest>()
            trusting.racyInterval = 0
            let scanners = ScannerKeeper()
            scanners.keep(try TreeScanner(root: harness.local, ignoreRules: IgnoreRules.load(root: harness.local), cache: trusting))
            let (first, _) = try await harness.push(scanners: scanners)
            #expect(first.hashedFiles > 25)
            // Without the file, a push on its own would read every file again; the kept scanner knows them.
            try FileTree.removeRecursively(harness.cacheEnvironment["FASTPUSH_CACHE_DIR"]!)
            try ExampleApp.edit(at: harness.local)
            let (second, lines) = try await harness.push({ $0.verbose = true }, scanners: scanners)
            #expect(second.succeeded)
            #expect(second.hashedFiles <= 5, "the files the edit wrote, no others: \(lines)")
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
        }
    }

    /// A watch loop knows the manifest it last pushed by the digest of its bytes: its next push does not need the
    /// cache's copy of that manifest and stays one request.
    @Test func aWatchLoopsNextPushTakesItsLastManifestAsThePushedOne() async throws {
        try await ControllerHarness.with { harness in
            let scanners = ScannerKeeper()
            let (first, _) = try await harness.push(scanners: scanners)
            #expect(first.succeeded)
            // Without the kept digest, the next push would find no pushed manifest and compare trees with the server.
            let cache = PushCache(endpoint: try harness.endpoint(), environment: harness.cacheEnvironment)
            #expect(unlink(cache.directory + "/manifest") == 0)
            try ExampleApp.edit(at: harness.local)
            let (second, lines) = try await harness.push(scanners: scanners)
            #expect(second.succeeded)
            #expect(second.requests == 1, "one request, the bundle: \(lines)")
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
        }
    }

    @Test func aKeptScannerServesOnePushOfTheSameDirectoryWithTheSameRules() throws {
        let root = try FileTree.makeTemporaryDirectory(prefix: "fastpush-keeper")
        defer { try? FileTree.removeRecursively(root) }
        let keeper = ScannerKeeper()
        keeper.keep(try TreeScanner(root: root, ignoreRules: IgnoreRules(cfignore: "*.log\n")))
        #expect(keeper.take(root: root, ignoreRules: IgnoreRules(cfignore: "*.tmp\n")) == nil, "other rules")
        keeper.keep(try TreeScanner(root: root, ignoreRules: IgnoreRules(cfignore: "*.log\n")))
        #expect(keeper.take(root: root + "/other", ignoreRules: IgnoreRules(cfignore: "*.log\n")) == nil)
        keeper.keep(try TreeScanner(root: root, ignoreRules: IgnoreRules(cfignore: "*.log\n")))
        #expect(keeper.take(root: root, ignoreRules: IgnoreRules(cfignore: "*.log\n")) != nil)
        #expect(keeper.take(root: root, ignoreRules: IgnoreRules(cfignore: "*.log\n")) == nil, "handed out once")
    }

    @Test func statusShowsTheBackendTheLastPushAndLocalChanges() async throws {
        try await ControllerHarness.with { harness in
            try FileTree.write(Array("v1\n".utf8), to: harness.local + "/static/note.txt")
            _ = try await harness.push()
            try FileTree.write(Array("unpushed\n".utf8), to: harness.local + "/static/other.txt")
            let endpoint = try harness.endpoint()
            let report = try await StatusReport.gather(
                client: ControllerClient(endpoint: endpoint), directory: harness.local,
                cache: PushCache(endpoint: endpoint, environment: harness.cacheEnvironment))
            #expect(report.localChanges == ["static/other.txt"])
            #expect(!report.containerRestartedSinceLastPush)
            let terminal = Terminal(capturing: ())
            report.print(to: terminal)
            let lines = terminal.captured
            #expect(lines.contains { $0.hasPrefix("  backend: running, pid ") })
            #expect(lines.contains { $0.hasPrefix("  last push: ") && $0.contains("1 change,") })
            #expect(lines.contains("  local changes not pushed: 1"))
        }
    }
}
