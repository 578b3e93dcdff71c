import DeltaSync
import Foundation
import Glibc
import Testing

@testable import Plugin

/// The client's scan memory across pushes, against a real controller: an unchanged tree is not read again, a changed
/// file always is (also one rewritten in place within the same second at the same size), and a damaged memory file
/// is ignored and rebuilt, never trusted.
@Suite(.serialized) struct ScanMemoryPushTests {
    /// Lets the app's files age past the racy interval (two seconds), so that a scan may vouch for them.
    static func letFilesAge() async throws { try await Task.sleep(for: .milliseconds(2_200)) }

    static func cacheDirectory(_ harness: ControllerHarness) throws -> String {
        PushCache(endpoint: try harness.endpoint(), environment: harness.cacheEnvironment).directory
    }

    /// Rewrites `path` in place (same inode, no truncation), restoring its modification time: only the change time
    /// tells.
    static func rewriteInPlace(_ path: String, with bytes: [UInt8]) throws {
        let before = try SystemCall.lstat(path)
        #expect(Int(before.st_size) == bytes.count, "the rewrite keeps the size")
        let descriptor = open(path, O_WRONLY)
        #expect(descriptor >= 0)
        #expect(bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } == bytes.count)
        close(descriptor)
        var times = [before.st_mtim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    @Test func aSecondPushOfAnUnchangedTreeReadsNoFile() async throws {
        try await ControllerHarness.with { harness in
            try await Self.letFilesAge()
            let files = try harness.localManifest().fileCount
            let (first, _) = try await harness.push()
            #expect(first.hashedFiles == files, "no stat cache yet: every file is read")
            let (second, lines) = try await harness.push()
            #expect(second.hashedFiles == 0, "the stat cache vouches for every file")
            #expect(lines.contains { $0.hasPrefix("Nothing to push") })
            // `--resync` trusts nothing local either.
            let (resync, _) = try await harness.push { $0.resync = true }
            #expect(resync.hashedFiles == files)
        }
    }

    @Test func aFileWhoseSizeTimesOrInodeChangedIsReadAgainAndPushed() async throws {
        try await ControllerHarness.with { harness in
            try await Self.letFilesAge()
            _ = try await harness.push()
            let local = harness.local
            // Size: a line appended.
            try FileTree.write(try FileTree.read(local + "/app.py") + Array("# more\n".utf8), to: local + "/app.py")
            // Modification time only, the content as it was.
            var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, local + "/templates/index.html", &times, 0) == 0)
            // Inode: replaced by a copy with the same bytes and times.
            let style = local + "/static/style.css"
            let status = try SystemCall.lstat(style)
            try FileTree.write(try FileTree.read(style), to: style + ".copy")
            var styleTimes = [status.st_mtim, status.st_mtim]
            #expect(utimensat(AT_FDCWD, style + ".copy", &styleTimes, 0) == 0)
            #expect(rename(style + ".copy", style) == 0)
            // Change time only: the mode changed and changed back.
            #expect(chmod(local + "/run.sh", 0o700) == 0 && chmod(local + "/run.sh", 0o644) == 0)
            let (outcome, lines) = try await harness.push()
            #expect(outcome.hashedFiles == 4, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("[MOD]  app.py") }, "\(lines)")
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
        }
    }

    /// git's racy-clean problem: a file written in the same timestamp tick as the scan that read it could change
    /// again without its times moving. Such a file is never vouched for, in memory or on disk.
    @Test func aFileRewrittenInPlaceWithinTheSameSecondAtTheSameSizeIsStillPushed() async throws {
        try await ControllerHarness.with { harness in
            try await Self.letFilesAge()
            _ = try await harness.push()
            let page = harness.local + "/templates/index.html"
            try FileTree.write(Array("<h2>{{ greeting }}</h2>\n".utf8), to: page)
            let (first, _) = try await harness.push()
            #expect(try FileTree.read(harness.container + "/templates/index.html") == FileTree.read(page))
            try Self.rewriteInPlace(page, with: Array("<h3>{{ greeting }}</h3>\n".utf8))
            let (second, lines) = try await harness.push()
            #expect(first.succeeded && second.succeeded)
            #expect(lines.contains { $0.hasPrefix("[MOD]  templates/index.html") }, "\(lines)")
            #expect(try FileTree.read(harness.container + "/templates/index.html") == Array("<h3>{{ greeting }}</h3>\n".utf8))
            // Still within the racy interval of its last change: read again, not vouched for.
            let (third, _) = try await harness.push()
            #expect(third.hashedFiles == 1)
        }
    }

    /// A scan that is not pushed (`--dry-run`) is kept, but the manifest the last push left still says what the
    /// server has: the next push sends the change.
    @Test func aScanKeptWithoutAPushStillLeavesTheChangeToPush() async throws {
        try await ControllerHarness.with { harness in
            try await Self.letFilesAge()
            _ = try await harness.push()
            try FileTree.write(Array("<h2>dry</h2>\n".utf8), to: harness.local + "/templates/index.html")
            let (dry, _) = try await harness.push { $0.dryRun = true }
            #expect(dry.hashedFiles == 1)
            let (real, lines) = try await harness.push()
            #expect(lines.contains { $0.hasPrefix("[MOD]  templates/index.html") }, "\(lines)")
            #expect(real.succeeded)
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)
            // And the memory of that push is the manifest pushed: nothing is left to push.
            let (after, afterLines) = try await harness.push()
            #expect(after.hashedFiles <= 1 && afterLines.contains { $0.hasPrefix("Nothing to push") }, "\(afterLines)")
        }
    }

    /// `stat-cache`, what earlier releases kept, is not read (it knows no directories) and goes once a scan is kept.
    @Test func anEarlierReleasesStatCacheIsRemoved() async throws {
        try await ControllerHarness.with { harness in
            let directory = try Self.cacheDirectory(harness)
            try FileTree.makeDirectories(directory)
            try FileTree.write(Array("FPSC".utf8), to: directory + "/stat-cache")
            let (outcome, _) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(access(directory + "/stat-cache", F_OK) != 0)
            #expect(access(directory + "/scan-memory", F_OK) == 0)
        }
    }

    @Test func aDamagedOrTruncatedScanMemoryIsIgnoredAndRebuilt() async throws {
        try await ControllerHarness.with { harness in
            try await Self.letFilesAge()
            let files = try harness.localManifest().fileCount
            _ = try await harness.push()
            let path = try Self.cacheDirectory(harness) + "/scan-memory"
            let intact = try FileTree.read(path)
            // The last byte of the last entry's digest: trusted, it would make an unchanged file look changed.
            var wrongDigest = intact
            wrongDigest[wrongDigest.count - 17] ^= 0x01
            for damaged in [wrongDigest, Array(intact.dropLast(5)), Array("not a stat cache".utf8), []] {
                try FileTree.write(damaged, to: path)
                let (outcome, lines) = try await harness.push()
                #expect(outcome.hashedFiles == files, "the damaged cache vouched for nothing")
                #expect(lines.contains { $0.hasPrefix("Nothing to push") }, "\(lines)")
                #expect(try FileTree.read(path) == intact, "rebuilt as it was")
                let (again, _) = try await harness.push()
                #expect(again.hashedFiles == 0, "the rebuilt cache is used")
            }
        }
    }
}
