/// The lines that differ between two versions of a small text file, as `-` and `+` lines with one line of
/// context around each change (for showing what `fastpush init` would change).
enum LineDiff {
    static func lines(from old: [String], to new: [String]) -> [String] {
        // Longest common subsequence, from the end: files such as manifest.yml are a few dozen lines.
        var common = Array(repeating: Array(repeating: 0, count: new.count + 1), count: old.count + 1)
        for i in stride(from: old.count - 1, through: 0, by: -1) {
            for j in stride(from: new.count - 1, through: 0, by: -1) {
                common[i][j] = old[i] == new[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var script: [(mark: Character, line: String)] = []
        var (i, j) = (0, 0)
        while i < old.count || j < new.count {
            if i < old.count, j < new.count, old[i] == new[j] {
                script.append((" ", old[i]))
                (i, j) = (i + 1, j + 1)
            } else if j < new.count, i == old.count || common[i][j + 1] >= common[i + 1][j] {
                script.append(("+", new[j]))
                j += 1
            } else {
                script.append(("-", old[i]))
                i += 1
            }
        }
        let changed = Set(script.indices.filter { script[$0].mark != " " })
        var result: [String] = []
        var lastShown = -1
        for index in script.indices where (index - 1...index + 1).contains(where: changed.contains) {
            if lastShown >= 0, index > lastShown + 1 { result.append("  ...") }
            result.append("\(script[index].mark) \(script[index].line)")
            lastShown = index
        }
        return result
    }
}
