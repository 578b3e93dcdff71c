internal import CYAML

/// Reads one YAML document into ``YAMLNode``s with libyaml, the parser Yams wraps (so what was valid YAML for
/// the controller before still is), linked statically so the controller needs no libyaml at run time.
///
/// It composes what the config files need and no more, with Yams's rules for them: one document at most (an
/// empty stream has none), aliases replaced by their anchor's node, a key written twice in one mapping refused,
/// and null written only as a plain `~`, `null` or nothing (see ``YAMLNode/isNull``). Unlike Yams, nesting
/// deeper than ``maximumDepth`` is refused, so a hostile `.fastpush.yml` of a million `[` cannot exhaust the
/// stack; config files are three levels deep.
enum YAMLReader {
    /// The deepest nesting of lists and mappings accepted.
    static let maximumDepth = 64

    /// The document in `bytes` (UTF-8), or `nil` when the stream holds none (an empty file, only comments).
    ///
    /// - Throws: ``YAMLError`` saying what is wrong and where (line and column, from 1).
    static func document(_ bytes: [UInt8]) throws(YAMLError) -> YAMLNode? {
        guard !bytes.isEmpty else { return nil }  // libyaml wants a non-null input pointer
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw YAMLError("out of memory") }
        defer { yaml_parser_delete(parser) }
        return try bytes.withUnsafeBufferPointer { (input) throws(YAMLError) -> YAMLNode? in
            yaml_parser_set_input_string(parser, input.baseAddress, input.count)
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            var composer = Composer(parser: parser)
            return try composer.document()
        }
    }
}

/// Why a YAML text could not be read.
struct YAMLError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and where, such as "did not find expected ',' or ']' at line 2, column 1 (while parsing a
    /// flow sequence started at line 1, column 7)".
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}

/// Builds nodes from libyaml's events.
private struct Composer {
    /// What the composer needs of one libyaml event, copied out so the event can be freed at once.
    enum Event {
        case streamStart, streamEnd, documentEnd, sequenceEnd, mappingEnd
        case documentStart(line: Int)
        case alias(anchor: String, line: Int, column: Int)
        case scalar(String, plain: Bool, anchor: String?, line: Int)
        case sequenceStart(anchor: String?, line: Int)
        case mappingStart(anchor: String?, line: Int)
    }

    let parser: UnsafeMutablePointer<yaml_parser_t>
    /// Nodes by anchor; a later anchor of the same name replaces an earlier one, as YAML says.
    var anchors: [String: YAMLNode] = [:]

    init(parser: UnsafeMutablePointer<yaml_parser_t>) { self.parser = parser }

    mutating func document() throws(YAMLError) -> YAMLNode? {
        guard case .streamStart = try next() else { throw YAMLError("the stream does not start") }
        switch try next() {
        case .streamEnd: return nil
        case .documentStart: break
        default: throw YAMLError("the document does not start")
        }
        let root = try node(from: try next(), depth: 0)
        guard case .documentEnd = try next() else { throw YAMLError("the document does not end") }
        switch try next() {
        case .streamEnd: break
        case .documentStart(let line):
            throw YAMLError("a second document starts at line \(line) (after `---` or `...`); keep one document")
        default: throw YAMLError("the stream does not end")
        }
        return root
    }

    private mutating func node(from event: Event, depth: Int) throws(YAMLError) -> YAMLNode {
        switch event {
        case .alias(let anchor, let line, let column):
            guard let node = anchors[anchor] else {
                throw YAMLError("the alias *\(anchor) at line \(line), column \(column) names no anchor before it")
            }
            return node
        case .scalar(let text, let plain, let anchor, let line):
            return remember(YAMLNode(content: .scalar(text, plain: plain), line: line), as: anchor)
        case .sequenceStart(let anchor, let line):
            try checkDepth(depth, line: line)
            var items: [YAMLNode] = []
            while true {
                let event = try next()
                if case .sequenceEnd = event { break }
                items.append(try node(from: event, depth: depth + 1))
            }
            return remember(YAMLNode(content: .sequence(items), line: line), as: anchor)
        case .mappingStart(let anchor, let line):
            try checkDepth(depth, line: line)
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var keyLines: [String: Int] = [:]
            while true {
                let event = try next()
                if case .mappingEnd = event { break }
                let key = try node(from: event, depth: depth + 1)
                if let text = key.text, let first = keyLines.updateValue(key.line, forKey: text) {
                    throw YAMLError(
                        "the key `\(text)` appears twice in one mapping (lines \(first) and \(key.line)); keep one")
                }
                pairs.append((key, try node(from: try next(), depth: depth + 1)))
            }
            return remember(YAMLNode(content: .mapping(pairs), line: line), as: anchor)
        case .streamStart, .streamEnd, .documentStart, .documentEnd, .sequenceEnd, .mappingEnd:
            throw YAMLError("unexpected \(event) event")  // libyaml never sends these here
        }
    }

    private func checkDepth(_ depth: Int, line: Int) throws(YAMLError) {
        guard depth < YAMLReader.maximumDepth else {
            throw YAMLError("lists and mappings are nested more than \(YAMLReader.maximumDepth) deep at line \(line)")
        }
    }

    private mutating func remember(_ node: YAMLNode, as anchor: String?) -> YAMLNode {
        if let anchor { anchors[anchor] = node }
        return node
    }

    /// The next event, or the parser's error.
    private mutating func next() throws(YAMLError) -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw Self.error(of: parser.pointee) }
        defer { yaml_event_delete(&event) }
        let line = Int(event.start_mark.line) + 1
        switch event.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart(line: line)
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        case YAML_ALIAS_EVENT:
            return .alias(
                anchor: Self.string(event.data.alias.anchor) ?? "", line: line,
                column: Int(event.start_mark.column) + 1)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            return .scalar(
                text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE, anchor: Self.string(scalar.anchor), line: line)
        case YAML_SEQUENCE_START_EVENT:
            return .sequenceStart(anchor: Self.string(event.data.sequence_start.anchor), line: line)
        case YAML_MAPPING_START_EVENT:
            return .mappingStart(anchor: Self.string(event.data.mapping_start.anchor), line: line)
        default:
            throw YAMLError("libyaml sent an event of unknown type \(event.type.rawValue)")
        }
    }

    private static func string(_ characters: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        characters.map { String(cString: $0) }
    }

    /// The parser's error as a sentence: the problem and where it is, and what libyaml was reading then.
    private static func error(of parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        if parser.error == YAML_MEMORY_ERROR { return YAMLError("out of memory") }
        if parser.error == YAML_READER_ERROR { return YAMLError("\(problem) at byte \(parser.problem_offset)") }
        var message = "\(problem) at \(place(parser.problem_mark))"
        if let context = parser.context {
            message += " (\(String(cString: context)) started at \(place(parser.context_mark)))"
        }
        return YAMLError(message)
    }

    private static func place(_ mark: yaml_mark_t) -> String { "line \(mark.line + 1), column \(mark.column + 1)" }
}
