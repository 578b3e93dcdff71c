import Foundation

/// An app's `manifest.yml`, read and changed as lines, so that its comments, order and layout stay as they are:
/// only the first application's `command` and buildpack list are touched.
struct ManifestFile: Equatable {
    private(set) var lines: [String]

    init(text: String) { lines = text.components(separatedBy: "\n") }

    var text: String { lines.joined(separator: "\n") }

    /// A new manifest for one app.
    static func new(appName: String, buildpacks: [String], command: String) -> ManifestFile {
        let list = buildpacks.map { "  - \($0)" }.joined(separator: "\n")
        return ManifestFile(
            text: "---\napplications:\n- name: \(appName)\n" + (buildpacks.isEmpty ? "" : "  buildpacks:\n\(list)\n")
                + "  command: \(command)\n")
    }

    // MARK: Reading

    /// The first application's lines (`range`), the column of its keys and of its `- `.
    private struct Block {
        var range: Range<Int>
        var keyIndent: Int
    }

    /// How many applications the manifest lists.
    var applicationCount: Int { applicationStarts().count }

    var command: String? { value(of: "command").map(Self.scalar) }

    /// The buildpacks the first application names (`buildpacks:` as a list or `[a, b]`, or the older `buildpack:`).
    var buildpacks: [String] {
        guard let block = firstBlock() else { return [] }
        if let (index, value) = find("buildpacks", in: block) {
            if value.hasPrefix("[") { return Self.flowItems(value) }
            return items(after: index, in: block).map { Self.scalar($0.value) }
        }
        return value(of: "buildpack").map { [Self.scalar($0)] } ?? []
    }

    private static func indent(of line: String) -> Int { line.prefix { $0 == " " }.count }

    private static func isContent(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return !trimmed.isEmpty && !trimmed.hasPrefix("#")
    }

    /// Line numbers of the `- ` that start each application under `applications:`.
    private func applicationStarts() -> [Int] {
        guard let top = lines.firstIndex(where: { $0.hasPrefix("applications:") }) else { return [] }
        var starts: [Int] = []
        var dashIndent: Int?
        for index in (top + 1)..<lines.count where Self.isContent(lines[index]) {
            let line = lines[index]
            let indent = Self.indent(of: line)
            let isItem = line.dropFirst(indent).hasPrefix("-")
            if dashIndent == nil, isItem { dashIndent = indent }
            if indent == 0 && !isItem { break }  // the next top-level key
            if isItem, indent == dashIndent { starts.append(index) }
        }
        return starts
    }

    private func firstBlock() -> Block? {
        let starts = applicationStarts()
        guard let first = starts.first else { return nil }
        var end = starts.count > 1 ? starts[1] : lines.count
        // A later top-level key ends the list.
        if let next = lines[(first + 1)..<end].firstIndex(where: { Self.isContent($0) && Self.indent(of: $0) == 0 && !$0.hasPrefix("-") }) {
            end = next
        }
        return Block(range: first..<end, keyIndent: Self.indent(of: lines[first]) + 2)
    }

    /// The line and value of `key` in the first application.
    private func find(_ key: String, in block: Block) -> (Int, String)? {
        for index in block.range {
            var line = Substring(lines[index])
            if index == block.range.lowerBound { line = line.dropFirst(block.keyIndent - 2).dropFirst(2) } else {
                guard Self.indent(of: lines[index]) == block.keyIndent else { continue }
                line = line.dropFirst(block.keyIndent)
            }
            guard line.hasPrefix(key + ":") else { continue }
            return (index, Self.withoutComment(line.dropFirst(key.count + 1)).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    private func value(of key: String) -> String? {
        guard let block = firstBlock(), let (_, value) = find(key, in: block), !value.isEmpty else { return nil }
        return value
    }

    /// The `- item` lines that follow a key's line.
    private func items(after keyLine: Int, in block: Block) -> [(index: Int, indent: Int, value: String)] {
        var result: [(Int, Int, String)] = []
        for index in (keyLine + 1)..<block.range.upperBound where Self.isContent(lines[index]) {
            let line = lines[index]
            let indent = Self.indent(of: line)
            guard indent >= block.keyIndent, line.dropFirst(indent).hasPrefix("- ") else { break }
            result.append((index, indent, Self.withoutComment(line.dropFirst(indent + 2)).trimmingCharacters(in: .whitespaces)))
        }
        return result
    }

    private static func withoutComment(_ text: Substring) -> String {
        if let hash = text.range(of: " #") { return String(text[..<hash.lowerBound]) }
        return String(text)
    }

    /// A plain or quoted YAML scalar's text.
    private static func scalar(_ text: String) -> String {
        if text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first {
            return String(text.dropFirst().dropLast())
        }
        return text
    }

    private static func flowItems(_ text: String) -> [String] {
        text.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).split(separator: ",")
            .map { scalar($0.trimmingCharacters(in: .whitespaces)) }.filter { !$0.isEmpty }
    }

    // MARK: Changing

    /// The manifest with `command` as the first application's start command and, unless `buildpack` is `nil`,
    /// `buildpack` first in its buildpack list, followed by `finalBuildpack` when the app names none.
    func prepared(command: String, buildpack: String?, finalBuildpack: String?) throws(ClientError) -> ManifestFile {
        guard applicationCount == 1, let block = firstBlock() else {
            throw ClientError(
                applicationCount == 0
                    ? "manifest.yml lists no application under applications:; add the app as `cf create-app-manifest` writes it, then run fastpush init again"
                    : "manifest.yml lists \(applicationCount) applications: make the change shown for the one you push with FastPush by hand")
        }
        var result = self
        if let buildpack, !buildpacks.contains(buildpack) {
            try result.addBuildpack(buildpack, finalBuildpack: finalBuildpack, in: block)
        }
        result.setCommand(command)
        return result
    }

    private mutating func setCommand(_ command: String) {
        guard let block = firstBlock() else { return }
        let spaces = String(repeating: " ", count: block.keyIndent)
        if let (index, _) = find("command", in: block) {
            let lead = index == block.range.lowerBound ? String(repeating: " ", count: block.keyIndent - 2) + "- " : spaces
            lines[index] = lead + "command: \(command)"
        } else {
            lines.insert(spaces + "command: \(command)", at: endOfContent(block))
        }
    }

    private mutating func addBuildpack(_ buildpack: String, finalBuildpack: String?, in block: Block) throws(ClientError) {
        let spaces = String(repeating: " ", count: block.keyIndent)
        if let (index, value) = find("buildpacks", in: block) {
            if value.hasPrefix("[") {
                lines[index] = spaces + "buildpacks: [" + ([buildpack] + Self.flowItems(value)).joined(separator: ", ") + "]"
            } else if let first = items(after: index, in: block).first {
                lines.insert(String(repeating: " ", count: first.indent) + "- " + buildpack, at: first.index)
            } else {
                lines.insert(spaces + "  - " + buildpack, at: index + 1)
            }
            return
        }
        let existing = value(of: "buildpack").map(Self.scalar)
        guard let last = existing ?? finalBuildpack else {
            throw ClientError(
                "cannot tell which language buildpack builds this app, and Cloud Foundry runs FastPush's only beside one named explicitly: add `buildpacks: [fastpush_buildpack, YOUR_buildpack]` to manifest.yml (`cf buildpacks` lists them)")
        }
        let list = [spaces + "buildpacks:", spaces + "  - " + buildpack, spaces + "  - " + last]
        if existing != nil, let (index, _) = find("buildpack", in: block) {
            lines.replaceSubrange(index...index, with: list)
        } else {
            lines.insert(contentsOf: list, at: endOfContent(block))
        }
    }

    /// Where a new key goes: after the block's last line of content, before blank lines and the next application.
    private func endOfContent(_ block: Block) -> Int {
        (block.range.lastIndex { Self.isContent(lines[$0]) } ?? block.range.lowerBound) + 1
    }
}
