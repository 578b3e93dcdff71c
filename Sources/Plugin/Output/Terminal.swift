import Foundation
import Glibc

/// Where a command's output goes: lines on standard output, colour only on a terminal and without
/// `NO_COLOR`, and a progress bar on standard error when it is a terminal.
final class Terminal: @unchecked Sendable {
    enum Colour: String {
        case green = "32", yellow = "33", red = "31", bold = "1", dim = "2"
    }

    let colours: Bool
    let showsProgress: Bool
    private let lock = NSLock()
    private var progressShown = false
    private var statusShown = false
    private var lines: [String]?

    init(environment: [String: String]) {
        let noColour = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        colours = isatty(STDOUT_FILENO) == 1 && !noColour && environment["TERM"] != "dumb"
        showsProgress = isatty(STDERR_FILENO) == 1
    }

    /// A terminal that keeps its lines instead of printing them: for tests, and for a push whose lines are printed
    /// whole once it is done (one of several at once).
    init(capturing: Void, colours: Bool = false) {
        self.colours = colours
        showsProgress = false
        lines = []
    }

    /// Everything printed so far by a capturing terminal.
    var captured: [String] { lock.withLock { lines ?? [] } }

    func print(_ line: String) {
        lock.withLock {
            if lines != nil {
                lines?.append(line)
                return
            }
            clearProgress()
            if statusShown {
                Swift.print("\r\u{1B}[K", terminator: "")
                statusShown = false
            }
            Swift.print(line)
            fflush(nil)
        }
    }

    func paint(_ text: String, _ colour: Colour) -> String {
        colours ? "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// A one-line status that the next line replaces (on a terminal; elsewhere it is a line of its own).
    func status(_ text: String) {
        lock.withLock {
            if lines != nil {
                lines?.append(text)
                return
            }
            guard isatty(STDOUT_FILENO) == 1 else {
                Swift.print(text)
                fflush(nil)
                return
            }
            Swift.print("\r\u{1B}[K" + text, terminator: "")
            fflush(nil)
            statusShown = true
        }
    }

    /// Shows `done` of `total` bytes as a bar, when the transfer is big enough to be worth one.
    func progress(_ done: Int, of total: Int) {
        guard showsProgress, total >= 1 << 20 else { return }
        lock.withLock {
            let width = 30
            let filled = total == 0 ? width : done * width / total
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            let line = "\r[\(bar)] \(done * 100 / max(total, 1))% \(ByteCount(done)) of \(ByteCount(total))"
            FileHandle.standardError.write(Data(line.utf8))
            progressShown = done < total
            if !progressShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
    }

    private func clearProgress() {
        guard progressShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        progressShown = false
    }
}
