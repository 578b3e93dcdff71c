import Glibc
import Testing

@testable import DeltaSync

/// Cases follow the gitignore documentation and the cf CLI's `.cfignore` behaviour.
@Suite struct IgnoreRulesTests {
    /// Rules from `text` without the cf defaults, so each case tests only its own lines.
    private func rules(_ text: String) -> IgnoreRules {
        IgnoreRules(cfignore: text, includeDefaults: false)
    }

    @Test func defaultsApplyAtTheRootAndAtAnyDepth() {
        let rules = IgnoreRules()
        for name in IgnoreRules.cfDefaults {
            #expect(rules.isIgnored(name, isDirectory: false), "\(name)")
            #expect(rules.isIgnored("a/b/\(name)", isDirectory: false), "a/b/\(name)")
        }
        #expect(rules.isIgnored(".git", isDirectory: true))
        #expect(rules.isIgnored("sub/.git", isDirectory: true))
        #expect(rules.isIgnored(".git/objects/ab/cdef", isDirectory: false))
        #expect(rules.isIgnored("a/b/.DS_Store", isDirectory: false))
        #expect(rules.isIgnored("config/manifest.yml", isDirectory: false))
        // Exact names only.
        #expect(!rules.isIgnored(".gitkeep", isDirectory: false))
        #expect(!rules.isIgnored("git", isDirectory: true))
        #expect(!rules.isIgnored("manifest.yml.example", isDirectory: false))
        #expect(!rules.isIgnored("src/main.swift", isDirectory: false))
    }

    @Test func defaultsComeAfterTheFileSoTheyCannotBeNegated() {
        let rules = IgnoreRules(cfignore: "!manifest.yml\n!.git/\n")
        #expect(rules.isIgnored("manifest.yml", isDirectory: false))
        #expect(rules.isIgnored(".git", isDirectory: true))
    }

    @Test func includeDefaultsFalseLeavesOnlyTheFileRules() {
        #expect(!IgnoreRules(includeDefaults: false).isIgnored(".git", isDirectory: true))
        #expect(!IgnoreRules(includeDefaults: false).isIgnored("manifest.yml", isDirectory: false))
        #expect(IgnoreRules(includeDefaults: true).isIgnored(".git", isDirectory: true))
        let fileOnly = rules("*.log")
        #expect(fileOnly.isIgnored("a.log", isDirectory: false))
        #expect(!fileOnly.isIgnored(".DS_Store", isDirectory: false))
        #expect(IgnoreRules(cfignore: "*.log").isIgnored(".DS_Store", isDirectory: false))
    }

    @Test func starExtensionMatchesAtAnyDepth() {
        let rules = rules("*.log")
        #expect(rules.isIgnored("a.log", isDirectory: false))
        #expect(rules.isIgnored("deep/er/b.log", isDirectory: false))
        #expect(rules.isIgnored(".log", isDirectory: false))
        #expect(rules.isIgnored("old.log", isDirectory: true))
        #expect(rules.isIgnored("old.log/inside.txt", isDirectory: false))
        #expect(!rules.isIgnored("a.log.txt", isDirectory: false))
        #expect(!rules.isIgnored("alog", isDirectory: false))
        #expect(!rules.isIgnored("logs/a.txt", isDirectory: false))
    }

    @Test func leadingSlashAnchorsToTheRoot() {
        let anchored = rules("/build")
        #expect(anchored.isIgnored("build", isDirectory: true))
        #expect(anchored.isIgnored("build", isDirectory: false))
        #expect(anchored.isIgnored("build/out/a.o", isDirectory: false))
        #expect(!anchored.isIgnored("src/build", isDirectory: true))
        #expect(!anchored.isIgnored("src/build/a.o", isDirectory: false))

        let anywhere = rules("build")
        #expect(anywhere.isIgnored("build", isDirectory: true))
        #expect(anywhere.isIgnored("src/build", isDirectory: true))
        #expect(anywhere.isIgnored("src/build/a.o", isDirectory: false))
        #expect(!anywhere.isIgnored("builder", isDirectory: true))
    }

    @Test func middleSlashAnchorsToTheRoot() {
        let rules = rules("a/b")
        #expect(rules.isIgnored("a/b", isDirectory: false))
        #expect(!rules.isIgnored("x/a/b", isDirectory: false))
        let anchoredStar = self.rules("/*.txt")
        #expect(anchoredStar.isIgnored("a.txt", isDirectory: false))
        #expect(!anchoredStar.isIgnored("d/a.txt", isDirectory: false))
    }

    @Test func trailingSlashMatchesDirectoriesOnly() {
        let rules = rules("logs/")
        #expect(rules.isIgnored("logs", isDirectory: true))
        #expect(rules.isIgnored("a/logs", isDirectory: true))
        #expect(rules.isIgnored("logs/today.txt", isDirectory: false))
        #expect(rules.isIgnored("a/logs/x/y.txt", isDirectory: false))
        #expect(!rules.isIgnored("logs", isDirectory: false))
        #expect(!rules.isIgnored("a/logs", isDirectory: false))
    }

    @Test func starDoesNotCrossSlashes() {
        let rules = rules("doc/*.txt")
        #expect(rules.isIgnored("doc/a.txt", isDirectory: false))
        #expect(rules.isIgnored("doc/.txt", isDirectory: false))
        #expect(!rules.isIgnored("doc/sub/a.txt", isDirectory: false))
        #expect(!rules.isIgnored("x/doc/a.txt", isDirectory: false))
    }

    @Test func leadingDoubleStarMatchesInAllDirectories() {
        let rules = rules("**/foo")
        #expect(rules.isIgnored("foo", isDirectory: false))
        #expect(rules.isIgnored("a/foo", isDirectory: false))
        #expect(rules.isIgnored("a/b/foo", isDirectory: true))
        #expect(!rules.isIgnored("foox", isDirectory: false))
        #expect(!rules.isIgnored("a/xfoo", isDirectory: false))

        let nested = self.rules("**/foo/bar")
        #expect(nested.isIgnored("foo/bar", isDirectory: false))
        #expect(nested.isIgnored("x/y/foo/bar", isDirectory: false))
        #expect(!nested.isIgnored("foo/x/bar", isDirectory: false))
    }

    @Test func trailingDoubleStarMatchesEverythingInside() {
        let rules = rules("foo/**")
        #expect(rules.isIgnored("foo/a", isDirectory: false))
        #expect(rules.isIgnored("foo/a/b/c", isDirectory: false))
        #expect(rules.isIgnoredEntry("foo/a/b", isDirectory: true))
        // The directory itself is not matched, only what is inside it.
        #expect(!rules.isIgnored("foo", isDirectory: true))
        #expect(!rules.isIgnored("x/foo/a", isDirectory: false))
    }

    @Test func middleDoubleStarMatchesZeroOrMoreDirectories() {
        let rules = rules("a/**/b")
        #expect(rules.isIgnored("a/b", isDirectory: false))
        #expect(rules.isIgnored("a/x/b", isDirectory: false))
        #expect(rules.isIgnored("a/x/y/b", isDirectory: false))
        #expect(!rules.isIgnored("a/xb", isDirectory: false))
        #expect(!rules.isIgnored("a/x/yb", isDirectory: false))
        #expect(!rules.isIgnored("b", isDirectory: false))
        #expect(!rules.isIgnored("x/a/b", isDirectory: false))
    }

    @Test func doubleStarInsideANameIsASingleStar() {
        let rules = rules("a**b")
        #expect(rules.isIgnored("ab", isDirectory: false))
        #expect(rules.isIgnored("axxb", isDirectory: false))
        #expect(!rules.isIgnored("ax/xb", isDirectory: false))
    }

    @Test func negationReincludesAndTheLastMatchWins() {
        let rules = rules("*.log\n!keep.log\n")
        #expect(rules.isIgnored("a.log", isDirectory: false))
        #expect(!rules.isIgnored("keep.log", isDirectory: false))
        #expect(!rules.isIgnored("sub/keep.log", isDirectory: false))

        let reversed = self.rules("!keep.log\n*.log\n")
        #expect(reversed.isIgnored("keep.log", isDirectory: false))
    }

    @Test func aFileInsideAnIgnoredDirectoryCannotBeReincluded() {
        let rules = rules("build/\n!build/keep.txt\n")
        #expect(rules.isIgnored("build/keep.txt", isDirectory: false))
        #expect(rules.isIgnored("build/other.txt", isDirectory: false))
        // On its own the entry is re-included; a walker never gets there because it skips `build`.
        #expect(!rules.isIgnoredEntry("build/keep.txt", isDirectory: false))
        #expect(rules.isIgnoredEntry("build", isDirectory: true))

        // Ignoring the contents rather than the directory leaves room to re-include.
        let contents = self.rules("build/*\n!build/keep.txt\n")
        #expect(!contents.isIgnored("build/keep.txt", isDirectory: false))
        #expect(contents.isIgnored("build/other.txt", isDirectory: false))
        #expect(!contents.isIgnored("build", isDirectory: true))
    }

    @Test func commentsAndBlankLinesAreSkipped() {
        let rules = rules("# a comment\n\n   \n*.tmp\n#secret\n")
        #expect(!rules.isIgnored("# a comment", isDirectory: false))
        #expect(!rules.isIgnored("#secret", isDirectory: false))
        #expect(!rules.isIgnored("   ", isDirectory: false))
        #expect(rules.isIgnored("x.tmp", isDirectory: false))
    }

    @Test func backslashEscapesALeadingHashOrBang() {
        let rules = rules("\\#file\n\\!important\n")
        #expect(rules.isIgnored("#file", isDirectory: false))
        #expect(rules.isIgnored("!important", isDirectory: false))
        #expect(!rules.isIgnored("important", isDirectory: false))
        #expect(!rules.isIgnored("file", isDirectory: false))

        let escapedStar = self.rules("a\\*b")
        #expect(escapedStar.isIgnored("a*b", isDirectory: false))
        #expect(!escapedStar.isIgnored("axb", isDirectory: false))
    }

    @Test func trailingSpacesAreTrimmedUnlessEscaped() {
        let rules = rules("foo   \nbar\\ \n")
        #expect(rules.isIgnored("foo", isDirectory: false))
        #expect(!rules.isIgnored("foo ", isDirectory: false))
        #expect(rules.isIgnored("bar ", isDirectory: false))
        #expect(!rules.isIgnored("bar", isDirectory: false))
    }

    @Test func crlfLineEndingsAreHandled() {
        let rules = rules("*.log\r\n/build\r\nkeep\r\n")
        #expect(rules.isIgnored("a.log", isDirectory: false))
        #expect(rules.isIgnored("build", isDirectory: true))
        #expect(rules.isIgnored("keep", isDirectory: false))
        #expect(!rules.isIgnored("keep\r", isDirectory: false))
    }

    @Test func questionMarkMatchesOneCharacter() {
        let rules = rules("?.md")
        #expect(rules.isIgnored("a.md", isDirectory: false))
        #expect(rules.isIgnored("é.md", isDirectory: false))
        #expect(!rules.isIgnored("ab.md", isDirectory: false))
        #expect(!rules.isIgnored(".md", isDirectory: false))
        #expect(!self.rules("a?b").isIgnored("a/b", isDirectory: false))
    }

    @Test func characterClasses() {
        let set = rules("[abc].txt")
        #expect(set.isIgnored("a.txt", isDirectory: false))
        #expect(set.isIgnored("c.txt", isDirectory: false))
        #expect(!set.isIgnored("d.txt", isDirectory: false))

        let range = rules("file[0-9]")
        #expect(range.isIgnored("file5", isDirectory: false))
        #expect(!range.isIgnored("filex", isDirectory: false))
        #expect(!range.isIgnored("file10", isDirectory: false))

        for negated in ["[!a-c]x", "[^a-c]x"] {
            let rules = rules(negated)
            #expect(rules.isIgnored("dx", isDirectory: false), "\(negated)")
            #expect(!rules.isIgnored("bx", isDirectory: false), "\(negated)")
        }

        let bracket = rules("[]]x")
        #expect(bracket.isIgnored("]x", isDirectory: false))
        #expect(!bracket.isIgnored("ax", isDirectory: false))

        let named = rules("v[[:digit:]]")
        #expect(named.isIgnored("v7", isDirectory: false))
        #expect(!named.isIgnored("vx", isDirectory: false))

        let unicode = rules("[é-ë]")
        #expect(unicode.isIgnored("ê", isDirectory: false))
        #expect(!unicode.isIgnored("e", isDirectory: false))

        // A class never matches the separator.
        #expect(!rules("a[/]b").isIgnored("a/b", isDirectory: false))
    }

    @Test func malformedLinesMatchNothingAsInGit() {
        let rules = rules("a[b\n[\nx[[:nope:]]\nend\\\nok\n")
        #expect(!rules.isIgnored("a[b", isDirectory: false))
        #expect(!rules.isIgnored("[", isDirectory: false))
        #expect(!rules.isIgnored("x:]", isDirectory: false))
        #expect(!rules.isIgnored("xn]", isDirectory: false))
        #expect(!rules.isIgnored("end\\", isDirectory: false))
        #expect(!rules.isIgnored("end", isDirectory: false))
        // The lines around them still apply.
        #expect(rules.isIgnored("ok", isDirectory: false))
        // An escaped `[` is an ordinary character.
        #expect(self.rules("a\\[b").isIgnored("a[b", isDirectory: false))
    }

    @Test func entryCheckAgreesWithFullCheckForATopDownWalk() {
        let rules = IgnoreRules(cfignore: "build/\n!build/keep\n*.o\n!main.o\n/docs/*\n!docs/README\nlogs/\n")
        let paths: [(String, Bool)] = [
            ("build", true), ("build/keep", false), ("src", true), ("src/a.o", false), ("src/main.o", false),
            ("docs", true), ("docs/README", false), ("docs/guide", true), ("docs/guide/x.md", false),
            ("logs", false), ("a/logs", true), ("a/logs/x", false), (".git", true), (".git/HEAD", false),
        ]
        for (path, isDirectory) in paths {
            var walkerIgnores = false
            var prefix = ""
            for name in path.split(separator: "/").dropLast() {
                prefix += prefix.isEmpty ? String(name) : "/" + name
                if rules.isIgnoredEntry(prefix, isDirectory: true) { walkerIgnores = true }
            }
            walkerIgnores = walkerIgnores || rules.isIgnoredEntry(path, isDirectory: isDirectory)
            #expect(rules.isIgnored(path, isDirectory: isDirectory) == walkerIgnores, "\(path)")
        }
        #expect(rules.isIgnored("build/keep", isDirectory: false))
        #expect(!rules.isIgnored("src/main.o", isDirectory: false))
        #expect(rules.isIgnored("docs/guide/x.md", isDirectory: false))
        #expect(!rules.isIgnored("docs/README", isDirectory: false))
    }

    @Test func pathologicalPatternsFinishWithTheRightAnswer() {
        let star = rules(String(repeating: "*a", count: 30) + "*b")
        let long = String(repeating: "a", count: 4000)
        #expect(!star.isIgnored(long, isDirectory: false))
        #expect(star.isIgnored(long + "b", isDirectory: false))

        let doubleStar = rules(String(repeating: "**/", count: 20) + "x")
        let deep = Array(repeating: "d", count: 500).joined(separator: "/")
        #expect(!doubleStar.isIgnored(deep + "/y", isDirectory: false))
        #expect(doubleStar.isIgnored(deep + "/x", isDirectory: false))
    }

    @Test func byteOrderMarkIsSkipped() {
        let rules = rules("\u{FEFF}secret.txt\n")
        #expect(rules.isIgnored("secret.txt", isDirectory: false))
    }

    @Test func loadReadsTheRootCfignore() throws {
        let root = try TemporaryDirectory()
        try FileTree.write(Array("*.log\r\n!keep.log\ntmp/\nbad".utf8) + [0xFF], to: root.file(".cfignore"))
        let rules = try IgnoreRules.load(root: root.path)
        #expect(rules.isIgnored("a.log", isDirectory: false))
        #expect(!rules.isIgnored("keep.log", isDirectory: false))
        #expect(rules.isIgnored("tmp/x", isDirectory: false))
        #expect(rules.isIgnored(".git", isDirectory: true))
        #expect(!rules.isIgnored("src/app.js", isDirectory: false))
        // Invalid UTF-8 is decoded leniently rather than rejected.
        #expect(rules.isIgnored("bad\u{FFFD}", isDirectory: false))

        let withoutDefaults = try IgnoreRules.load(root: root.path + "/", includeDefaults: false)
        #expect(withoutDefaults.isIgnored("a.log", isDirectory: false))
        #expect(!withoutDefaults.isIgnored(".git", isDirectory: true))
    }

    @Test func loadWithoutACfignoreGivesTheDefaults() throws {
        let root = try TemporaryDirectory()
        let rules = try IgnoreRules.load(root: root.path)
        #expect(rules.isIgnored(".git", isDirectory: true))
        #expect(rules.isIgnored("manifest.yml", isDirectory: false))
        #expect(!rules.isIgnored("a.log", isDirectory: false))
        #expect(!(try IgnoreRules.load(root: root.path, includeDefaults: false)).isIgnored(".git", isDirectory: true))
    }

    @Test func loadFailsWhenTheCfignoreIsNotAFile() throws {
        let root = try TemporaryDirectory()
        #expect(mkdir(root.path + "/.cfignore", 0o755) == 0)
        #expect(throws: DeltaSyncError.self) { try IgnoreRules.load(root: root.path) }
    }
}
