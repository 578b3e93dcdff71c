import Foundation

/// An app's `Procfile` (Heroku, and Cloud Foundry when the manifest names no command): one `type: command` a line.
struct ProcfileFile: Equatable {
    private(set) var lines: [String]

    init(text: String) { lines = text.components(separatedBy: "\n") }

    var text: String { lines.joined(separator: "\n") }

    private var webLine: Int? { lines.firstIndex { $0.hasPrefix("web:") } }

    /// The web process's command.
    var webCommand: String? {
        webLine.map { String(lines[$0].dropFirst("web:".count)).trimmingCharacters(in: .whitespaces) }
    }

    /// The Procfile with `command` as the web process, the other process types as they were.
    func prepared(command: String) -> ProcfileFile {
        var result = self
        if let index = webLine {
            result.lines[index] = "web: \(command)"
        } else {
            let end = (lines.lastIndex { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? -1) + 1
            result.lines.insert("web: \(command)", at: end)
            if end == lines.count { result.lines.append("") }
        }
        return result
    }
}
