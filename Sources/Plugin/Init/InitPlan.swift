import DeltaSync
import Foundation

/// What `fastpush init` found and the files it would write; ``apply(write:force:)`` checks that nothing would be
/// overwritten before writing anything.
struct InitPlan {
    struct FileChange {
        let path: String
        let text: String
        /// Keep the file's previous contents as `PATH.before-fastpush` when it changes.
        let backup: Bool
    }

    let root: String
    let kind: AppInspection.Kind
    let backend: String
    let source: String
    /// The controller's file first, then the start file (manifest.yml or Procfile).
    let files: [FileChange]
    let controllerBinary: String?
    let heroku: Bool

    static let backupSuffix = ".before-fastpush"

    /// Makes the changes (the start file only with `write`) and returns what to tell the user.
    func apply(write: Bool, force: Bool) throws -> [String] {
        let config = files[0], start = files[1]
        let startName = URL(fileURLWithPath: start.path).lastPathComponent
        let current = { (path: String) in try? String(contentsOfFile: path, encoding: .utf8) }
        let startChanges = current(start.path) != start.text
        let binaryPath = root + "/cf-fastpush-controller"

        // Refuse before writing anything.
        var refusals: [String] = []
        if let existing = current(config.path), existing != config.text, !force {
            refusals.append("\(InitCommand.configFile) exists with other settings (backend_command \(Self.backendCommand(in: existing).map { "`\($0)`" } ?? "not set"))")
        }
        if write, startChanges, start.backup, let existing = current(start.path + Self.backupSuffix), existing != current(start.path), !force {
            refusals.append("\(startName)\(Self.backupSuffix) exists from an earlier run")
        }
        if let controllerBinary {
            guard FileManager.default.isExecutableFile(atPath: controllerBinary) else {
                throw ClientError("--controller \(controllerBinary) is not an executable file: give the cf-fastpush-controller binary (scripts/release builds it)")
            }
            if FileManager.default.fileExists(atPath: binaryPath), !FileManager.default.contentsEqual(atPath: binaryPath, andPath: controllerBinary), !force {
                refusals.append("cf-fastpush-controller exists in the app and is another binary")
            }
        }
        if !refusals.isEmpty {
            throw ClientError(refusals.joined(separator: "; ") + ": nothing was changed; pass --force to replace \(refusals.count == 1 ? "it" : "them")")
        }

        var lines = ["\(kind.described.prefix(1).uppercased() + kind.described.dropFirst()) that starts with `\(backend)` (from \(source))."]
        if current(config.path) == config.text {
            lines.append("\(InitCommand.configFile): already says so")
        } else {
            try FileTree.write(Array(config.text.utf8), to: config.path)
            lines.append("\(InitCommand.configFile): written, with backend_command \(Self.quoted(backend))")
        }
        if let controllerBinary, !FileManager.default.contentsEqual(atPath: binaryPath, andPath: controllerBinary) {
            try FileTree.write(FileTree.read(controllerBinary), to: binaryPath, mode: 0o755)
            lines.append("cf-fastpush-controller: copied into the app (\(ByteCount(try FileTree.read(binaryPath).count)))")
        }
        guard startChanges else {
            lines.append("\(startName): already prepared")
            lines += nextSteps()
            return lines
        }
        let old = current(start.path)
        lines.append("\(startName)\(old == nil ? " (new)" : ""):")
        lines += LineDiff.lines(from: old.map(Self.lines) ?? [], to: Self.lines(start.text)).map { "  " + $0 }
        if write {
            if start.backup, let old { try FileTree.write(Array(old.utf8), to: start.path + Self.backupSuffix) }
            try FileTree.write(Array(start.text.utf8), to: start.path)
            lines.append("\(startName): changed" + (start.backup && old != nil ? " (the previous one is \(startName)\(Self.backupSuffix))" : ""))
            lines += nextSteps()
        } else {
            lines.append("\(startName) was not changed: run `fastpush init --write` to make this change.")
        }
        return lines
    }

    /// A text's lines, without the empty one after its last newline.
    private static func lines(_ text: String) -> [String] {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    private func nextSteps() -> [String] {
        if controllerBinary != nil { return [heroku ? "Next: git push heroku" : "Next: cf push"] }
        if heroku {
            return ["Next, once per app: heroku buildpacks:add --index 1 URL-OF-fastpush-buildpack.tgz (scripts/release makes it); then git push heroku"]
        }
        return ["Next, once per foundation: cf create-buildpack \(InitCommand.buildpack) fastpush-buildpack-VERSION.zip 1 (scripts/release makes it); then cf push"]
    }

    /// `exec` in front of a simple command, so the app itself receives the controller's signals.
    static func execPrefixed(_ command: String) -> String {
        let shellSyntax = ["&&", "||", ";", "|", "&", "(", "`", "$("]
        if command.hasPrefix("exec ") || shellSyntax.contains(where: command.contains) { return command }
        return "exec " + command
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The `backend_command` a config file written by init holds.
    static func backendCommand(in text: String) -> String? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("backend_command:") }) else { return nil }
        var value = line.dropFirst("backend_command:".count).trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                .replacingOccurrences(of: "\\\\", with: "\\")
        }
        return value
    }
}
