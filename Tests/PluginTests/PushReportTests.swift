import Testing

@testable import DeltaSync
@testable import Plugin

/// The lines a push prints: a file's size and what was sent for it, apart; a summary that reads right in a
/// push and in a dry run.
@Suite struct PushReportTests {
    typealias Item = PushPlanner.Item

    @Test func aFileLineGivesItsSizeThenWhatWasSentAndInWhichForm() {
        let lines = [
            Item(path: "app.py", kind: .file, change: .modified, form: .delta, sentBytes: 1_050, fileSize: 4_000),
            Item(path: "static/style.css", kind: .file, change: .modified, form: .whole, sentBytes: 91, fileSize: 47),
            Item(path: "static/app.js", kind: .file, change: .new, form: .whole, sentBytes: 71, fileSize: 27),
            Item(path: "static/img", kind: .directory, change: .new, sentBytes: 0, fileSize: 0),
            Item(path: "latest.js", kind: .symlink, change: .modified, sentBytes: 0, fileSize: 13),
            Item(path: "templates/old.html", kind: .file, change: .deleted, sentBytes: 0, fileSize: 120),
            Item(path: "run.sh", kind: .file, change: .mode, sentBytes: 0, fileSize: 30),
        ].map { PushLine($0).description }
        #expect(
            lines == [
                "[MOD]  app.py (3.9 KiB, sent 1.0 KiB as a delta)",
                "[MOD]  static/style.css (47 B, sent 91 B whole)",
                "[NEW]  static/app.js (27 B, sent 71 B whole)",
                "[NEW]  static/img/",
                "[MOD]  latest.js",
                "[DEL]  templates/old.html",
                "[MODE] run.sh",
            ])
    }

    @Test func aNameWithControlCharactersCannotTakeOverTheTerminal() {
        let lines = [
            Item(path: "clear\u{1B}[2J.txt", kind: .file, change: .new, form: .whole, sentBytes: 9, fileSize: 9),
            Item(path: "csi\u{9B}31m", kind: .directory, change: .new, sentBytes: 0, fileSize: 0),
            Item(path: "line\nbreak", kind: .file, change: .deleted, sentBytes: 0, fileSize: 1),
            Item(path: "café \"quoted\".txt", kind: .file, change: .deleted, sentBytes: 0, fileSize: 1),
        ].map { PushLine($0).description }
        #expect(
            lines == [
                #"[NEW]  "clear\u{1B}[2J.txt" (9 B, sent 9 B whole)"#,
                #"[NEW]  "csi\u{009B}31m"/"#,
                #"[DEL]  "line\nbreak""#,
                #"[DEL]  café "quoted".txt"#,
            ])
        #expect(lines.allSatisfy { !$0.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) } })
        #expect(RelativePath.escapingControlCharacters("\"a\": \u{1B}]0;title\u{07}") == #""a": \u{1B}]0;title\u{07}"#)
    }

    /// The summary line `report` prints.
    func summary(_ items: [Item], dryRun: Bool, bytesSent: Int, bytesReceived: Int = 0, requests: Int) -> String? {
        let terminal = Terminal(capturing: ())
        _ = PushReport(
            items: items, answer: PushAnswer(dryRun: dryRun, files: []), bytesSent: bytesSent, bytesReceived: bytesReceived,
            requests: requests, elapsed: .milliseconds(11)
        ).print(to: terminal)
        return terminal.captured.dropFirst(items.count).first
    }

    @Test func theSummaryReadsRightInAPushAndInADryRun() {
        let style = Item(
            path: "static/style.css", kind: .file, change: .modified, form: .whole, sentBytes: 91, fileSize: 47)
        #expect(
            summary([style], dryRun: false, bytesSent: 137, bytesReceived: 612, requests: 1)
                == "1 change pushed: 137 B sent against 47 B for the changed files whole, 612 B received, 1 request, 11 ms")
        #expect(
            summary([style], dryRun: true, bytesSent: 137, bytesReceived: 612, requests: 1)
                == "1 change would be pushed: 137 B to send against 47 B for the changed files whole, 612 B received, 1 request, 11 ms")
        let model = Item(
            path: "data/model.bin", kind: .file, change: .modified, form: .delta, sentBytes: 1_100, fileSize: 4 << 20)
        let removed = Item(path: "old.html", kind: .file, change: .deleted, sentBytes: 0, fileSize: 500)
        #expect(
            summary([model, removed], dryRun: true, bytesSent: 2_300, bytesReceived: 36_900, requests: 3)
                == "2 changes would be pushed: 2.2 KiB to send against 4.0 MiB for the changed files whole (99.9% less), "
                + "36.0 KiB received, 3 requests, 11 ms")
    }
}
