package import DeltaSync

/// One file in the legacy v1 API: the value type of its `path → entry` JSON map.
///
/// The wire shape is Go's encoding of `struct { Checksum string; Modification int64; Content []byte }`:
/// `{"Checksum":"<sha256, lower-case hex>","Modification":<unix seconds>,"Content":null}`, with `Content` as
/// padded standard base64 when present. Listings leave it out (`null`); uploads carry it.
package struct LegacyFileEntry: Sendable, Equatable {
    /// The SHA-256 of the content, 64 lower-case hex digits.
    package var checksum: String
    /// The modification time in whole seconds since 1970 (rounded down, as Go's `ModTime().Unix()`).
    package var modification: Int64
    /// The content, or `nil` when the message does not carry it.
    package var content: [UInt8]?

    package init(checksum: String, modification: Int64, content: [UInt8]? = nil) {
        self.checksum = checksum
        self.modification = modification
        self.content = content
    }
}

/// The legacy API's JSON, written byte for byte as Go's `json.NewEncoder(w).Encode` wrote it, and read as
/// leniently as Go's decoder where old clients relied on it and strictly where leniency would be unsafe.
///
/// Writing: map keys in byte order, struct fields in declaration order, no spaces, strings escaped as Go escapes
/// them (including `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes), and a final newline.
///
/// Reading an upload: the top level is an object mapping paths to entries (or `null`, no files). Entry field
/// names match case-insensitively, as in Go; `Checksum`, `Modification` and unknown fields are skipped; `Content`
/// is base64 with Go's rules (standard alphabet, padding required, line breaks ignored) or `null` for an empty
/// file. Unlike Go, a path that appears twice, a path that is not UTF-8, a lone surrogate escape, a `null` entry
/// or anything after the top-level value is refused rather than silently resolved.
package enum LegacyJSON {
    /// Deepest nesting accepted inside skipped values, so hostile input cannot exhaust the stack.
    static let maximumDepth = 64

    // MARK: Writing

    /// A listing or upload map as Go encodes `map[string]*FileEntry`.
    package static func encode(files: [PathKey: LegacyFileEntry]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(files.count * 120)
        out.append(UInt8(ascii: "{"))
        for (index, path) in files.keys.sorted().enumerated() {
            guard let entry = files[path] else { continue }
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(path.path, to: &out)
            out.append(contentsOf: Array(#":{"Checksum":"#.utf8))
            appendString(entry.checksum, to: &out)
            out.append(contentsOf: Array(#","Modification":"#.utf8))
            out.append(contentsOf: Array(String(entry.modification).utf8))
            out.append(contentsOf: Array(#","Content":"#.utf8))
            if let content = entry.content {
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: base64Encode(content))
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: Array("null".utf8))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: Array("}\n".utf8))
        return out
    }

    /// A status answer, Go's encoding of `struct { Health string }`.
    static func encode(health: String) -> [UInt8] {
        var out = Array(#"{"Health":"#.utf8)
        appendString(health, to: &out)
        out.append(contentsOf: Array("}\n".utf8))
        return out
    }

    /// Appends `text` as a JSON string literal escaped exactly as Go's encoder (with HTML escaping) does.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20, 0x3C, 0x3E, 0x26:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(scalar.value >> 4)])
                out.append(hex[Int(scalar.value & 0xF)])
            case 0x2028, 0x2029:
                out.append(contentsOf: Array("\\u202".utf8))
                out.append(hex[Int(scalar.value & 0xF)])
            default:
                out.append(contentsOf: Array(String(scalar).utf8))
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Base64

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let sextets: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    /// Standard, padded base64, as Go's encoder writes `[]byte`.
    static func base64Encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(group >> 18 & 0x3F)])
            out.append(alphabet[Int(group >> 12 & 0x3F)])
            out.append(remaining > 1 ? alphabet[Int(group >> 6 & 0x3F)] : UInt8(ascii: "="))
            out.append(remaining > 2 ? alphabet[Int(group & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return out
    }

    /// Where and why base64 text is invalid.
    struct Base64Error: Error {
        /// The offset of the offending character within the text.
        var offset: Int
        /// What is wrong there.
        var reason: String
    }

    /// Decodes base64 as Go's `base64.StdEncoding` does: standard alphabet, `=` padding required at the end
    /// only, `\r` and `\n` ignored anywhere.
    static func base64Decode(_ text: ArraySlice<UInt8>) throws(Base64Error) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var group: UInt32 = 0
        var count = 0
        var padding = 0
        for offset in text.indices {
            let character = text[offset]
            if character == 0x0A || character == 0x0D { continue }
            let relative = offset - text.startIndex
            if character == UInt8(ascii: "=") {
                guard count >= 2 else {
                    throw Base64Error(offset: relative, reason: "padding '=' where data was expected")
                }
                padding += 1
                count += 1
                group <<= 6
            } else {
                let value = sextets[Int(character)]
                guard value != 0xFF else {
                    throw Base64Error(
                        offset: relative, reason: "character \(describe(character)) is not in the alphabet")
                }
                guard padding == 0 else { throw Base64Error(offset: relative, reason: "data after the padding") }
                group = group << 6 | UInt32(value)
                count += 1
            }
            if count == 4 {
                out.append(UInt8(group >> 16 & 0xFF))
                if padding < 2 { out.append(UInt8(group >> 8 & 0xFF)) }
                if padding < 1 { out.append(UInt8(group & 0xFF)) }
                if padding > 0 {
                    // Only line breaks may follow the padding.
                    if let extra = text[(offset + 1)...].firstIndex(where: { $0 != 0x0A && $0 != 0x0D }) {
                        throw Base64Error(offset: extra - text.startIndex, reason: "data after the padding")
                    }
                    return out
                }
                group = 0
                count = 0
            }
        }
        guard count == 0 else {
            throw Base64Error(
                offset: text.count, reason: "it ends in the middle of a 4-character group (is the '=' padding missing?)"
            )
        }
        return out
    }

    private static func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x\(String(byte, radix: 16))"
    }

    // MARK: Reading an upload

    /// One entry of an upload as sent: the path exactly as written in the JSON and the decoded content.
    struct UploadedFile: Sendable, Equatable {
        /// The JSON key, unescaped.
        var path: String
        /// The decoded `Content`; empty for `null` or a missing field.
        var content: [UInt8]
    }

    /// Parses an upload body into its files, in body order.
    ///
    /// - Throws: ``ControllerError/Code/invalidRequest`` saying what is malformed and at which byte.
    static func decodeUpload(_ body: [UInt8]) throws(ControllerError) -> [UploadedFile] {
        var parser = UploadParser(bytes: body)
        return try parser.parse()
    }
}

/// A recursive-descent reader for the one JSON shape the legacy PUT accepts; see ``LegacyJSON``.
private struct UploadParser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parse() throws(ControllerError) -> [LegacyJSON.UploadedFile] {
        skipWhitespace()
        var files: [LegacyJSON.UploadedFile] = []
        if consumeLiteral("null") {
            // Go decodes `null` into an empty map.
        } else {
            try expect(UInt8(ascii: "{"), "an object mapping paths to file entries")
            var seen = Set<PathKey>()
            skipWhitespace()
            if !consume(UInt8(ascii: "}")) {
                repeat {
                    skipWhitespace()
                    let keyStart = position
                    let key = try parseString()
                    guard let path = String(validating: key, as: UTF8.self) else {
                        throw failure("the path at byte \(keyStart) is not valid UTF-8; name files in UTF-8")
                    }
                    guard seen.insert(PathKey(path)).inserted else {
                        throw failure("\(RelativePath.quoted(path)) appears twice; send each file once")
                    }
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"), "':' after the path")
                    skipWhitespace()
                    files.append(LegacyJSON.UploadedFile(path: path, content: try parseEntry(path: path)))
                    skipWhitespace()
                } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "}"), "',' or '}' after a file entry")
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw failure("unexpected data after the JSON value at byte \(position)") }
        return files
    }

    /// An entry object; returns its decoded content.
    private mutating func parseEntry(path: String) throws(ControllerError) -> [UInt8] {
        if consumeLiteral("null") {
            throw failure("the entry for \(RelativePath.quoted(path)) is null; send an object with a Content field")
        }
        try expect(UInt8(ascii: "{"), "an object for the entry of \(RelativePath.quoted(path))")
        var content: [UInt8] = []
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return content }
        repeat {
            skipWhitespace()
            let name = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after a field name")
            skipWhitespace()
            if name.count == 7, String(decoding: name, as: UTF8.self).lowercased() == "content" {
                content = try parseContent(path: path)
            } else {
                try skipValue(depth: 1)
            }
            skipWhitespace()
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "',' or '}' in the entry of \(RelativePath.quoted(path))")
        return content
    }

    /// A `Content` value: base64 text decoded straight from the body when it has no escapes, or `null`.
    private mutating func parseContent(path: String) throws(ControllerError) -> [UInt8] {
        if consumeLiteral("null") { return [] }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw failure("Content of \(RelativePath.quoted(path)) must be a base64 string, at byte \(position)")
        }
        let start = position + 1
        let text = try parseString()
        do throws(LegacyJSON.Base64Error) {
            return try LegacyJSON.base64Decode(text[...])
        } catch {
            throw failure(
                "Content of \(RelativePath.quoted(path)) is not valid base64 (standard alphabet, padded): "
                    + "\(error.reason) at character \(error.offset) (byte \(start + error.offset))")
        }
    }

    /// A string's unescaped bytes; the position moves past its closing quote.
    private mutating func parseString() throws(ControllerError) -> [UInt8] {
        try expect(UInt8(ascii: "\""), "a string")
        let start = position
        var hasEscapes = false
        while true {
            guard position < bytes.count else { throw failure("a string starting at byte \(start - 1) never ends") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw failure("a string has an unescaped control character at byte \(position)") }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                position += 1
            }
            position += 1
        }
        let end = position
        position += 1
        return hasEscapes ? try unescape(start..<end) : Array(bytes[start..<end])
    }

    private func unescape(_ range: Range<Int>) throws(ControllerError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var value = try hexQuad(at: index, in: range)
                index += 4
                if (0xD800..<0xDC00).contains(value) {
                    guard index + 1 < range.upperBound, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    else { throw failure("a string has a lone surrogate escape at byte \(index - 6)") }
                    let low = try hexQuad(at: index + 2, in: range)
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw failure("a string has a lone surrogate escape at byte \(index - 6)")
                    }
                    value = 0x10000 + (value - 0xD800) << 10 + (low - 0xDC00)
                    index += 6
                } else if (0xDC00..<0xE000).contains(value) {
                    throw failure("a string has a lone surrogate escape at byte \(index - 6)")
                }
                guard let scalar = Unicode.Scalar(value) else {
                    throw failure("a string has an invalid escape at byte \(index - 6)")
                }
                out.append(contentsOf: Array(String(scalar).utf8))
            default:
                throw failure(
                    "a string has an invalid escape '\\\(Character(Unicode.Scalar(escape)))' at byte \(index - 2)")
            }
        }
        return out
    }

    private func hexQuad(at index: Int, in range: Range<Int>) throws(ControllerError) -> UInt32 {
        guard index + 4 <= range.upperBound else { throw failure("a \\u escape is cut short at byte \(index - 2)") }
        var value: UInt32 = 0
        for byte in bytes[index..<(index + 4)] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                throw failure("a \\u escape has a non-hex digit at byte \(index - 2)")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Skips any JSON value, checking its syntax, with nesting limited to ``LegacyJSON/maximumDepth``.
    private mutating func skipValue(depth: Int) throws(ControllerError) {
        guard depth <= LegacyJSON.maximumDepth else {
            throw failure("values are nested more than \(LegacyJSON.maximumDepth) deep at byte \(position)")
        }
        guard position < bytes.count else { throw failure("the body ends where a value was expected") }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            _ = try parseString()
        case UInt8(ascii: "{"):
            position += 1
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return }
            repeat {
                skipWhitespace()
                _ = try parseString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after a field name")
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"), "',' or '}' in an object")
        case UInt8(ascii: "["):
            position += 1
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return }
            repeat {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"), "',' or ']' in an array")
        case UInt8(ascii: "t"):
            guard consumeLiteral("true") else { throw failure("invalid literal at byte \(position)") }
        case UInt8(ascii: "f"):
            guard consumeLiteral("false") else { throw failure("invalid literal at byte \(position)") }
        case UInt8(ascii: "n"):
            guard consumeLiteral("null") else { throw failure("invalid literal at byte \(position)") }
        default:
            try skipNumber()
        }
    }

    /// Skips a number with JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func skipNumber() throws(ControllerError) {
        let start = position
        func digits() -> Int {
            let first = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                position += 1
            }
            return position - first
        }
        _ = consume(UInt8(ascii: "-"))
        let leadingZero = position < bytes.count && bytes[position] == UInt8(ascii: "0")
        let integerDigits = digits()
        guard integerDigits > 0, !(leadingZero && integerDigits > 1) else {
            throw failure("expected a value at byte \(start)")
        }
        if consume(UInt8(ascii: ".")) {
            guard digits() > 0 else { throw failure("a number has no digits after '.' at byte \(start)") }
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard digits() > 0 else { throw failure("a number has no exponent digits at byte \(start)") }
        }
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// Consumes `literal` if the input continues with it.
    private mutating func consumeLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let matches = literal.withUTF8Buffer { expected in bytes[position..<(position + count)].elementsEqual(expected)
        }
        if matches { position += count }
        return matches
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(ControllerError) {
        guard consume(byte) else {
            throw failure(
                position < bytes.count
                    ? "expected \(what) at byte \(position)" : "the body ends early; expected \(what)")
        }
    }

    private func failure(_ problem: String) -> ControllerError {
        ControllerError(.invalidRequest, "the upload is not valid: \(problem)")
    }
}
