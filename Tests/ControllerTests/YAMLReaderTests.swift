import Testing

@testable import Controller

/// The YAML reader behind the config files: libyaml's parsing, with the composing rules Yams had.
@Suite struct YAMLReaderTests {
    private static func read(_ text: String) throws -> YAMLNode? { try YAMLReader.document(Array(text.utf8)) }

    /// The message of the error reading `text` gives, or a test failure when it reads.
    private static func error(_ text: String) -> String {
        do throws(YAMLError) {
            _ = try YAMLReader.document(Array(text.utf8))
            Issue.record("expected a YAML error for \(text.debugDescription)")
            return ""
        } catch {
            return error.message
        }
    }

    private static func pairs(_ node: YAMLNode?) -> [(String, YAMLNode)] {
        guard case .mapping(let pairs)? = node?.content else { return [] }
        return pairs.map { ($0.key.text ?? "?", $0.value) }
    }

    @Test func emptyStreamsHoldNoDocument() throws {
        #expect(try Self.read("") == nil)
        #expect(try Self.read("# only a comment\n\n") == nil)
        #expect(try Self.read("\u{FEFF}") == nil)
    }

    @Test func mappingsListsAndScalarsWithTheirLines() throws {
        let root = try Self.read(
            """
            # settings
            port: 9000
            backend_dirs:
              - ./
              - "src"
            flow: [a, 'b c', {d: e}]
            text: |
              two
              lines
            folded: >
              one
              line
            """)
        let fields = Self.pairs(root)
        #expect(fields.map(\.0) == ["port", "backend_dirs", "flow", "text", "folded"])
        #expect(root?.line == 2)
        #expect(fields[0].1.text == "9000")
        #expect(fields[0].1.line == 2)
        guard case .sequence(let dirs) = fields[1].1.content else {
            Issue.record("backend_dirs is not a list")
            return
        }
        #expect(dirs.map(\.text) == ["./", "src"])
        #expect(dirs.map(\.line) == [4, 5])
        guard case .sequence(let flow) = fields[2].1.content else {
            Issue.record("flow is not a list")
            return
        }
        #expect(flow.map(\.kindName) == ["single value", "single value", "mapping"])
        #expect(flow[1].text == "b c")
        #expect(fields[3].1.text == "two\nlines\n")
        #expect(fields[4].1.text == "one line")  // the last line has no newline, so none is kept
    }

    @Test func nullIsOnlyPlain() throws {
        let fields = Self.pairs(try Self.read("a:\nb: ~\nc: null\nd: NULL\ne: 'null'\nf: \"\"\ng: none\nh: Null\n"))
        #expect(fields.map { $0.1.isNull } == [true, true, true, true, false, false, false, true])
        #expect(fields[4].1.text == "null")
    }

    @Test func aliasesAreTheAnchoredNode() throws {
        let fields = Self.pairs(
            try Self.read("base: &cmd python app.py\nbackend_command: *cmd\nlist: &l [a, b]\nagain: *l\n"))
        #expect(fields[1].1.text == "python app.py")
        guard case .sequence(let items) = fields[3].1.content else {
            Issue.record("the alias of a list is not a list")
            return
        }
        #expect(items.map(\.text) == ["a", "b"])
        #expect(Self.error("a: *nowhere\n").contains("*nowhere"))
    }

    @Test func scalarsKeepEscapesAndUnicode() throws {
        let fields = Self.pairs(try Self.read("a: \"tab\\there \\u00e9\"\nb: 'it''s'\nc: héllo ✓\n"))
        #expect(fields.map { $0.1.text } == ["tab\there é", "it's", "héllo ✓"])
    }

    @Test func aKeyWrittenTwiceIsRefused() {
        let message = Self.error("port: 1\nother: 2\n'port': 3\n")
        #expect(message.contains("`port` appears twice"), "\(message)")
        #expect(message.contains("lines 1 and 3"), "\(message)")
        #expect(Self.error("rules:\n  - paths: a\n    paths: b\n").contains("`paths` appears twice"))
    }

    @Test func oneDocumentAtMost() throws {
        #expect(try Self.read("---\nport: 1\n...\n") != nil)
        #expect(Self.error("port: 1\n---\nport: 2\n").contains("a second document starts at line 2"))
    }

    @Test func syntaxErrorsSayWhereAndWhat() {
        let message = Self.error("port: [9000\nbackend_port: 1\n")
        #expect(message.contains("line "), "\(message)")
        #expect(message.contains("flow sequence"), "\(message)")
        #expect(Self.error("a: b\n\tc: d\n").contains("line 2"))
        #expect(Self.error("a: \"unclosed\n").contains("quoted scalar"))
        #expect(Self.error("a: b\u{0}\n").contains("control characters"))
    }

    /// A hostile `.fastpush.yml` (it travels with pushes) must be an error, not a stack overflow.
    @Test func deepNestingIsRefused() throws {
        let deep = String(repeating: "[", count: 200_000)
        #expect(Self.error(deep).contains("nested more than \(YAMLReader.maximumDepth) deep"))
        let fine =
            String(repeating: "[", count: YAMLReader.maximumDepth)
            + String(repeating: "]", count: YAMLReader.maximumDepth)
        #expect(try Self.read(fine) != nil)
        let mappings = (0..<100).map { String(repeating: "  ", count: $0) + "k\($0):\n" }.joined()
        #expect(Self.error(mappings).contains("nested more than"))
    }
}
