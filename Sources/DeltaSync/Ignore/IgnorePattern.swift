/// One compiled line of a `.cfignore` (gitignore syntax), matched against UTF-8 path bytes.
///
/// Matching runs a table-driven simulation over (token, byte offset) pairs, so its cost is bounded by
/// pattern length times path length: patterns such as `*a*a*a*a*b` cannot cause exponential backtracking.
struct IgnorePattern: Sendable, Equatable {
    /// One element of a compiled glob.
    enum Token: Sendable, Equatable {
        /// This exact byte.
        case byte(UInt8)
        /// `?`: one character other than `/`.
        case anyCharacter
        /// `[...]`: one character other than `/` that the class accepts.
        case characterClass(CharacterClass)
        /// `*`: any run of characters other than `/`.
        case star
        /// `**/` at the start or after a `/`: zero or more whole directories, each with its `/`.
        case anyDirectories
        /// `**` at the end after a `/` (or alone): everything that is left, `/` included.
        case anything
    }

    /// The tokens of the glob, after the `!`, the leading `/` and the trailing `/` are taken off.
    let tokens: [Token]
    /// `!pattern`: a match re-includes instead of ignoring.
    let negated: Bool
    /// A trailing `/`: only directories match.
    let directoryOnly: Bool
    /// A `/` at the start or in the middle: matched against the whole path rather than the last name.
    let anchored: Bool
    /// The literal bytes after the last wildcard; a cheap test that rejects most paths before the simulation.
    private let literalSuffix: [UInt8]
    /// The fewest bytes a matching text can have.
    private let minimumLength: Int
    /// True when every token is a literal byte, so a match is plain equality.
    private let isLiteral: Bool

    /// Compiles one line, or returns nil for blank lines, comments and malformed lines (an unclosed `[`, an
    /// unknown `[:name:]`, a trailing lone `\`), which git treats as matching nothing.
    init?(line: some Collection<UInt8>) {
        var bytes = Array(line)
        if bytes.last == ASCII.carriageReturn { bytes.removeLast() }
        if bytes.first == ASCII.hash { return nil }
        Self.trimTrailingSpaces(&bytes)
        var negated = false
        if bytes.first == ASCII.bang {
            negated = true
            bytes.removeFirst()
        }
        var directoryOnly = false
        if bytes.last == ASCII.slash {
            directoryOnly = true
            bytes.removeLast()
        }
        // Any remaining `/` ties the pattern to the root; a leading one has no other meaning.
        let anchored = bytes.contains(ASCII.slash)
        if bytes.first == ASCII.slash { bytes.removeFirst() }
        guard !bytes.isEmpty, let tokens = Self.compile(bytes) else { return nil }
        self.init(tokens: tokens, negated: negated, directoryOnly: directoryOnly, anchored: anchored)
    }

    init(tokens: [Token], negated: Bool, directoryOnly: Bool, anchored: Bool) {
        self.tokens = tokens
        self.negated = negated
        self.directoryOnly = directoryOnly
        self.anchored = anchored
        var suffix: [UInt8] = []
        for token in tokens.reversed() {
            guard case .byte(let byte) = token else { break }
            suffix.append(byte)
        }
        literalSuffix = suffix.reversed()
        isLiteral = suffix.count == tokens.count
        minimumLength = tokens.reduce(0) { total, token in
            switch token {
            case .byte, .anyCharacter, .characterClass: total + 1
            case .star, .anyDirectories, .anything: total
            }
        }
    }

    /// Whether this pattern matches the entry at `path` (the whole relative path), whose last name starts at
    /// `nameStart`. Negation is not applied here; the caller decides what a match means.
    func matches(_ path: UnsafeBufferPointer<UInt8>, nameStart: Int, isDirectory: Bool) -> Bool {
        if directoryOnly && !isDirectory { return false }
        let text = anchored ? path : UnsafeBufferPointer(rebasing: path[nameStart...])
        guard text.count >= minimumLength, text.count >= literalSuffix.count else { return false }
        let tail = text.count - literalSuffix.count
        for index in literalSuffix.indices where text[tail + index] != literalSuffix[index] { return false }
        if isLiteral { return text.count == literalSuffix.count }
        return simulate(text)
    }

    /// Runs the glob over `text`: `reach[i * width + t]` says token `t` can start at byte `i`. Each state is
    /// visited once and every transition moves forward, so the work is O(tokens × bytes).
    private func simulate(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = text.count
        let width = tokens.count + 1
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: (count + 1) * width) { reach in
            reach.initialize(repeating: false)
            reach[0] = true
            for offset in 0...count {
                let row = offset * width
                for (index, token) in tokens.enumerated() where reach[row + index] {
                    switch token {
                    case .byte(let byte):
                        if offset < count && text[offset] == byte { reach[row + width + index + 1] = true }
                    case .anyCharacter, .characterClass:
                        guard offset < count, text[offset] != ASCII.slash else { continue }
                        let (scalar, length) = UTF8Scalar.decode(text, at: offset)
                        if case .characterClass(let set) = token, !set.contains(scalar) { continue }
                        reach[(offset + length) * width + index + 1] = true
                    case .star:
                        reach[row + index + 1] = true
                        if offset < count && text[offset] != ASCII.slash { reach[row + width + index] = true }
                    case .anyDirectories:
                        // Entered only at the start of a name; it may hand over only at the start of a name,
                        // so what it consumed is a sequence of whole `dir/` segments.
                        if offset == 0 || text[offset - 1] == ASCII.slash { reach[row + index + 1] = true }
                        if offset < count { reach[row + width + index] = true }
                    case .anything:
                        // Only ever the last token.
                        return true
                    }
                }
            }
            return reach[count * width + tokens.count]
        }
    }

    /// Drops trailing spaces unless escaped with a backslash, as git does (tabs are kept).
    private static func trimTrailingSpaces(_ bytes: inout [UInt8]) {
        var firstTrailingSpace: Int?
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case ASCII.space:
                if firstTrailingSpace == nil { firstTrailingSpace = index }
            case ASCII.backslash:
                index += 1
                firstTrailingSpace = nil
            default:
                firstTrailingSpace = nil
            }
            index += 1
        }
        if let firstTrailingSpace { bytes.removeSubrange(firstTrailingSpace...) }
    }

    /// Turns glob bytes into tokens. `**` is special only as a whole name (`**/x`, `x/**/y`, `x/**`);
    /// anywhere else it is an ordinary `*`. Nil when the glob is malformed.
    static func compile(_ pattern: [UInt8]) -> [Token]? {
        var tokens: [Token] = []
        var index = 0
        while index < pattern.count {
            let byte = pattern[index]
            switch byte {
            case ASCII.backslash:
                guard index + 1 < pattern.count else { return nil }
                tokens.append(.byte(pattern[index + 1]))
                index += 2
            case ASCII.question:
                tokens.append(.anyCharacter)
                index += 1
            case ASCII.star:
                var end = index
                while end < pattern.count && pattern[end] == ASCII.star { end += 1 }
                let startsName = index == 0 || pattern[index - 1] == ASCII.slash
                if end - index >= 2 && startsName && end == pattern.count {
                    tokens.append(.anything)
                } else if end - index >= 2 && startsName && pattern[end] == ASCII.slash {
                    tokens.append(.anyDirectories)
                    end += 1
                } else if tokens.last != .star {
                    tokens.append(.star)
                }
                index = end
            case ASCII.openBracket:
                guard case (let set, let end)? = CharacterClass.parse(pattern, openingAt: index) else { return nil }
                tokens.append(.characterClass(set))
                index = end
            default:
                tokens.append(.byte(byte))
                index += 1
            }
        }
        return tokens
    }
}

extension IgnorePattern {
    /// A bracket expression: `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]`, `[[:digit:]]`, with backslash escapes.
    struct CharacterClass: Sendable, Equatable {
        /// POSIX named classes, ASCII only, as git's wildmatch supports them.
        enum Named: String, Sendable {
            case alnum, alpha, blank, cntrl, digit, graph, lower, print, punct, space, upper, xdigit

            func contains(_ scalar: UInt32) -> Bool {
                guard scalar < 0x80 else { return false }
                let isUpper = (0x41...0x5A).contains(scalar)
                let isLower = (0x61...0x7A).contains(scalar)
                let isDigit = (0x30...0x39).contains(scalar)
                let isGraph = (0x21...0x7E).contains(scalar)
                switch self {
                case .alnum: return isUpper || isLower || isDigit
                case .alpha: return isUpper || isLower
                case .blank: return scalar == 0x20 || scalar == 0x09
                case .cntrl: return scalar < 0x20 || scalar == 0x7F
                case .digit: return isDigit
                case .graph: return isGraph
                case .lower: return isLower
                case .print: return isGraph || scalar == 0x20
                case .punct: return isGraph && !(isUpper || isLower || isDigit)
                case .space: return scalar == 0x20 || (0x09...0x0D).contains(scalar)
                case .upper: return isUpper
                case .xdigit: return isDigit || (0x41...0x46).contains(scalar) || (0x61...0x66).contains(scalar)
                }
            }
        }

        var negated = false
        var ranges: [ClosedRange<UInt32>] = []
        var named: [Named] = []

        func contains(_ scalar: UInt32) -> Bool {
            let listed = ranges.contains { $0.contains(scalar) } || named.contains { $0.contains(scalar) }
            return listed != negated
        }

        /// Parses the class whose `[` is at `start`; returns it and the index after its `]`, or nil when the
        /// class is never closed or names an unknown `[:class:]`.
        static func parse(_ pattern: [UInt8], openingAt start: Int) -> (CharacterClass, Int)? {
            var set = CharacterClass()
            var index = start + 1
            if index < pattern.count && (pattern[index] == ASCII.bang || pattern[index] == ASCII.caret) {
                set.negated = true
                index += 1
            }
            var first = true
            while index < pattern.count {
                let byte = pattern[index]
                // A `]` right after the opening (or its negation) is a member, not the end.
                if byte == ASCII.closeBracket && !first { return (set, index + 1) }
                first = false
                if byte == ASCII.openBracket && index + 1 < pattern.count && pattern[index + 1] == ASCII.colon {
                    switch parseNamed(pattern, at: index) {
                    case .named(let name, let end):
                        set.named.append(name)
                        index = end
                        continue
                    case .malformed:
                        return nil
                    case .notNamed:
                        break
                    }
                }
                guard case (let low, let afterLow)? = member(pattern, at: index) else { return nil }
                index = afterLow
                let isRange = index + 1 < pattern.count && pattern[index] == ASCII.dash
                if isRange && pattern[index + 1] != ASCII.closeBracket {
                    guard case (let high, let afterHigh)? = member(pattern, at: index + 1) else { return nil }
                    index = afterHigh
                    // A reversed range such as `z-a` matches nothing, as in git.
                    if low <= high { set.ranges.append(low...high) }
                } else {
                    set.ranges.append(low...low)
                }
            }
            return nil
        }

        /// One possibly escaped character inside a class, as a scalar value, and the index after it.
        private static func member(_ pattern: [UInt8], at start: Int) -> (UInt32, Int)? {
            var index = start
            if pattern[index] == ASCII.backslash {
                index += 1
                guard index < pattern.count else { return nil }
            }
            let (scalar, length) = pattern.withUnsafeBufferPointer { UTF8Scalar.decode($0, at: index) }
            return (scalar, index + length)
        }

        private enum NamedParse {
            case named(Named, end: Int)
            /// No `:]` before the next `]`: the `[` is an ordinary member.
            case notNamed
            /// No `]` at all, or a name git does not know.
            case malformed
        }

        /// `[:name:]` at `start`, read as git does: up to the first `]`, which must follow a `:`.
        private static func parseNamed(_ pattern: [UInt8], at start: Int) -> NamedParse {
            let nameStart = start + 2
            guard let close = pattern[nameStart...].firstIndex(of: ASCII.closeBracket) else { return .malformed }
            guard close > nameStart && pattern[close - 1] == ASCII.colon else { return .notNamed }
            let name = String(decoding: pattern[nameStart..<(close - 1)], as: UTF8.self)
            guard let named = Named(rawValue: name) else { return .malformed }
            return .named(named, end: close + 1)
        }
    }

    /// Decoding of one UTF-8 scalar, lenient: a byte that does not start a valid sequence counts as one character
    /// whose value is the byte, so malformed names still match `?` and `*` sensibly.
    enum UTF8Scalar {
        static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
            let lead = bytes[index]
            let length: Int
            let initial: UInt32
            switch lead {
            case 0x00...0x7F: return (UInt32(lead), 1)
            case 0xC2...0xDF: (length, initial) = (2, UInt32(lead & 0x1F))
            case 0xE0...0xEF: (length, initial) = (3, UInt32(lead & 0x0F))
            case 0xF0...0xF4: (length, initial) = (4, UInt32(lead & 0x07))
            default: return (UInt32(lead), 1)
            }
            guard index + length <= bytes.count else { return (UInt32(lead), 1) }
            var value = initial
            for offset in 1..<length {
                let next = bytes[index + offset]
                guard next & 0xC0 == 0x80 else { return (UInt32(lead), 1) }
                value = value << 6 | UInt32(next & 0x3F)
            }
            return (value, length)
        }
    }

    /// The ASCII bytes the ignore syntax gives meaning to.
    enum ASCII {
        static let newline: UInt8 = 0x0A
        static let carriageReturn: UInt8 = 0x0D
        static let space: UInt8 = 0x20
        static let bang: UInt8 = 0x21
        static let hash: UInt8 = 0x23
        static let star: UInt8 = 0x2A
        static let dash: UInt8 = 0x2D
        static let slash: UInt8 = 0x2F
        static let colon: UInt8 = 0x3A
        static let question: UInt8 = 0x3F
        static let openBracket: UInt8 = 0x5B
        static let backslash: UInt8 = 0x5C
        static let closeBracket: UInt8 = 0x5D
        static let caret: UInt8 = 0x5E
    }
}
