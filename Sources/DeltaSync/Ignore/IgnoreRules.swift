import Glibc

/// The paths `cf push` leaves out of an app: the rules of the app root's `.cfignore` (gitignore syntax)
/// followed by the cf CLI's built-in list.
///
/// The built-in names come after the file's rules, as in the cf CLI, so a `!` line in `.cfignore` cannot
/// bring back `.git` or a manifest. As in git, the last matching rule decides, and nothing inside an
/// ignored directory can be re-included.
public struct IgnoreRules: Sendable, Equatable {
    /// The cf CLI's built-in list, always applied: each name is ignored at any depth.
    public static let cfDefaults: [String] = [
        ".cfignore", ".DS_Store", ".git", ".gitignore", ".hg", ".svn", "_darcs", "manifest.yaml", "manifest.yml",
    ]

    private static let compiledDefaults: [IgnorePattern] = cfDefaults.compactMap { IgnorePattern(line: $0.utf8) }
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The rules in file order; the last one that matches a path decides.
    private let patterns: [IgnorePattern]
    /// Names the rules for a file that must hold only under them (a kept scan): the digest of the text they were
    /// read from and of whether the defaults follow it.
    package let fingerprint: FileDigest

    /// Rules from the text of a root `.cfignore` (gitignore syntax), plus ``cfDefaults`` when `includeDefaults`.
    ///
    /// - Parameters:
    ///   - text: The file's contents; `\n` and `\r\n` line endings are both accepted.
    ///   - includeDefaults: Whether to append the cf CLI's built-in names after the file's rules.
    public init(cfignore text: String, includeDefaults: Bool = true) {
        var bytes = Array(text.utf8)
        if bytes.starts(with: Self.byteOrderMark) { bytes.removeFirst(Self.byteOrderMark.count) }
        var patterns = bytes.split(separator: IgnorePattern.ASCII.newline).compactMap { IgnorePattern(line: $0) }
        if includeDefaults { patterns += Self.compiledDefaults }
        self.patterns = patterns
        fingerprint = FileDigest(of: [includeDefaults ? 1 : 0] + bytes)
    }

    /// No file rules, only the ``cfDefaults`` (or nothing when `includeDefaults` is false).
    public init(includeDefaults: Bool = true) {
        patterns = includeDefaults ? Self.compiledDefaults : []
        fingerprint = FileDigest(of: [includeDefaults ? 1 : 0])
    }

    /// Reads `root/.cfignore` if it exists (a missing file is not an error), plus the defaults.
    ///
    /// - Parameters:
    ///   - root: The app's root directory.
    ///   - includeDefaults: Whether to append the cf CLI's built-in names after the file's rules.
    /// - Throws: ``DeltaSyncError`` when `.cfignore` exists but cannot be read, or is not a regular file.
    public static func load(root: String, includeDefaults: Bool = true) throws(DeltaSyncError) -> IgnoreRules {
        let path = root.isEmpty ? ".cfignore" : root.hasSuffix("/") ? root + ".cfignore" : root + "/.cfignore"
        let reader: FileReader
        do throws(DeltaSyncError) {
            reader = try FileReader(path: path)
        } catch {
            if error.errno == ENOENT { return IgnoreRules(includeDefaults: includeDefaults) }
            throw error
        }
        var bytes = [UInt8](repeating: 0, count: reader.count)
        try bytes.withMutableBytes { buffer throws(DeltaSyncError) in try reader.read(at: 0, into: buffer) }
        return IgnoreRules(cfignore: String(decoding: bytes, as: UTF8.self), includeDefaults: includeDefaults)
    }

    /// Whether `relativePath` is left out of the push: the path itself or any of its parent directories is
    /// ignored.
    ///
    /// - Parameters:
    ///   - relativePath: A `/`-separated path relative to the app root, with no leading or trailing `/`.
    ///   - isDirectory: Whether the path names a directory; patterns ending in `/` match only directories.
    public func isIgnored(_ relativePath: String, isDirectory: Bool) -> Bool {
        guard !patterns.isEmpty, !relativePath.isEmpty else { return false }
        var path = relativePath
        return path.withUTF8 { bytes in
            var nameStart = 0
            for index in bytes.indices where bytes[index] == IgnorePattern.ASCII.slash {
                // Git's rule: once a parent directory is excluded, nothing below it can be re-included.
                let parent = UnsafeBufferPointer(rebasing: bytes[..<index])
                if decide(parent, nameStart: nameStart, isDirectory: true) { return true }
                nameStart = index + 1
            }
            return decide(bytes, nameStart: nameStart, isDirectory: isDirectory)
        }
    }

    /// Whether this exact entry is ignored, assuming its parent directories are not: what a top-down walker
    /// that skips ignored directories asks, cheaper than ``isIgnored(_:isDirectory:)``.
    ///
    /// - Parameters:
    ///   - relativePath: A `/`-separated path relative to the app root, with no leading or trailing `/`.
    ///   - isDirectory: Whether the path names a directory; patterns ending in `/` match only directories.
    public func isIgnoredEntry(_ relativePath: String, isDirectory: Bool) -> Bool {
        guard !patterns.isEmpty, !relativePath.isEmpty else { return false }
        var path = relativePath
        return path.withUTF8 { bytes in
            let nameStart = (bytes.lastIndex(of: IgnorePattern.ASCII.slash) ?? -1) + 1
            return decide(bytes, nameStart: nameStart, isDirectory: isDirectory)
        }
    }

    /// The verdict of the last pattern that matches the entry, or not ignored when none does.
    private func decide(_ path: UnsafeBufferPointer<UInt8>, nameStart: Int, isDirectory: Bool) -> Bool {
        let match = patterns.last { $0.matches(path, nameStart: nameStart, isDirectory: isDirectory) }
        return match.map { !$0.negated } ?? false
    }
}
