import Foundation
import Testing

@testable import GobRPC

/// Corrupt, truncated and malicious streams throw `GobError`; they never crash, hang or make the
/// decoder allocate what the bytes merely claim.
@Suite struct GobHostileInputTests {
    static func captures() throws -> [(name: String, bytes: [UInt8])] {
        var result: [(String, [UInt8])] = []
        for connection in try ProtocolVectors.connections(in: ProtocolVectors.synthetic) {
            result.append((connection.name + " C2S", connection.clientToServer))
            result.append((connection.name + " S2C", connection.serverToClient))
        }
        for name in try ProtocolVectors.messageNames() { result.append((name, try ProtocolVectors.message(name))) }
        return result.filter { !$0.1.isEmpty }
    }

    /// Decodes and reports either the messages or the error; anything but GobError fails the test.
    private func attempt(_ bytes: [UInt8]) -> Result<[GobMessage], GobError> {
        var decoder = GobDecoder()
        do {
            return .success(try decoder.decodeAll(bytes))
        } catch let error as GobError {
            return .failure(error)
        } catch {
            Issue.record("unexpected error type: \(error)")
            return .failure(GobError("\(error)"))
        }
    }

    @Test func everyTruncationOfEveryVectorThrowsOrStopsAtAMessageBoundary() throws {
        var truncations = 0
        for capture in try Self.captures() {
            guard case .success(let full) = attempt(capture.bytes) else {
                Issue.record("\(capture.name) does not decode")
                continue
            }
            var cleanPrefixes = 0
            for length in 0..<capture.bytes.count {
                switch attempt(Array(capture.bytes.prefix(length))) {
                case .success(let messages):
                    // Only a cut between messages (after a value) is a shorter valid stream.
                    #expect(messages == Array(full.prefix(messages.count)), "\(capture.name) cut at \(length)")
                    cleanPrefixes += 1
                case .failure(let error):
                    #expect(!error.message.isEmpty)
                }
                truncations += 1
            }
            #expect(cleanPrefixes <= full.count, "\(capture.name)")
        }
        #expect(truncations > 5_000)
    }

    /// Cuts inside a message while keeping the framing consistent, so the value decoder itself
    /// meets the end of its data.
    @Test func truncatedPayloadsThrow() throws {
        var cases = 0
        for capture in try Self.captures() {
            var stream = GobByteStream(capture.bytes)
            var before: [UInt8] = []
            while let message = try stream.nextMessage() {
                for cut in 1..<message.count {
                    var framed = GobByteWriter()
                    framed.writeDelimited(Array(message.prefix(cut)))
                    let result = attempt(before + framed.bytes)
                    if case .success = result { Issue.record("\(capture.name): payload cut at \(cut) decoded") }
                    cases += 1
                }
                var framed = GobByteWriter()
                framed.writeDelimited(message)
                before += framed.bytes
            }
        }
        #expect(cases > 5_000)
    }

    @Test func randomCorruptionNeverCrashes() throws {
        var generator = SplitMix(seed: 0x5eed)
        let captures = try Self.captures()
        var failures = 0
        for round in 0..<3_000 {
            var bytes = captures[round % captures.count].bytes
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes[position] ^= 1 << (generator.next() % 8)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                }
            }
            if case .failure = attempt(bytes) { failures += 1 }
        }
        #expect(failures > 1_000)
    }

    // MARK: Hand-made attacks

    /// A stream of the given message payloads (hex), each framed with its length.
    private func stream(_ payloads: String...) throws -> [UInt8] {
        var writer = GobByteWriter()
        for payload in payloads { writer.writeDelimited(try ProtocolVectors.bytes(hex: payload)) }
        return writer.bytes
    }

    private func expectError(_ bytes: [UInt8], containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        switch attempt(bytes) {
        case .success(let messages):
            Issue.record("decoded \(messages)", sourceLocation: sourceLocation)
        case .failure(let error):
            #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    /// Type 65 defined as []string, map[string]string, []65 and []interface{}.
    static let stringSlice = "ff81020102ff8200010c0000"
    static let stringMap = "ff81040102ff8200010c010c0000"
    static let selfSlice = "ff81020102ff820001ff820000"
    static let interfaceSlice = "ff81020102ff820001100000"

    @Test func hugeDeclaredLengths() throws {
        // A message claiming 2^63 bytes.
        expectError(try ProtocolVectors.bytes(hex: "f88000000000000000"), containing: "exceeds")
        // A string claiming 2^32 bytes.
        expectError(try stream("0c00fb0100000000"), containing: "string length 4294967296 exceeds")
        // A []string claiming 2^40 elements.
        expectError(try stream(Self.stringSlice, "ff8200fa010000000000"), containing: "slice count 1099511627776")
        // A map claiming 2^20 entries.
        expectError(try stream(Self.stringMap, "ff8200fd100000"), containing: "map count 1048576")
        // A struct definition claiming 2^30 fields.
        expectError(try stream("ff8103010102ff820001fc40000000"), containing: "struct field count 1073741824")
        // An interface whose concrete type name claims 2^31 bytes.
        expectError(try stream("1000fc80000000"), containing: "interface type name length 2147483648 exceeds")
        // A uint with a 9-byte payload.
        expectError(try stream("0c00f7010203040506070809"), containing: "invalid uint prefix 0xf7")
    }

    @Test func badTypeIDs() throws {
        expectError(try stream("0000"), containing: "invalid value type id 0")
        expectError(try stream("ff8600"), containing: "undefined type id 67")
        expectError(try stream("120000"), containing: "undefined type id 9")
        expectError(try stream("0902"), containing: "type id 5 is reserved")
        expectError(try stream(Self.stringSlice, Self.stringSlice), containing: "type id 65 is defined twice")
        // A slice of type 100, which is never defined.
        expectError(try stream("ff81020102ff820001ffc80000", "ff82000100"), containing: "undefined type id 100")
        // A struct field of type -2.
        expectError(try stream("ff81030102ff820001010101610103000000"), containing: "invalid type id -2")
        // A wireType with both SliceT and MapT.
        expectError(
            try stream("ff81020102ff8200010c00020102ff8200010c010c0000"), containing: "sets more than one kind")
        // A field delta beyond the struct's one field.
        expectError(
            try stream("ff81030102ff820001010101580104000000", "ff820500"), containing: "field delta 5 after field -1 is out of range")
        // A definition and then the end of the stream.
        expectError(try stream(Self.stringSlice), containing: "stream ended after a type definition")
        expectError(try stream("0c0103"), containing: "starts with delta 1, not 0")
        expectError(try stream("0c000000"), containing: "extra bytes")
        expectError(try stream("020002"), containing: "invalid bool 2")
    }

    @Test func deepNestingIsBounded() throws {
        // Type 65 is []65; a value opens 100000 nested slices of one element each.
        let deep = "ff8200" + String(repeating: "01", count: 100_000) + "00"
        expectError(try stream(Self.selfSlice, deep), containing: "nested deeper than 100 levels")

        // A []interface{} holding a []interface{}, 10000 levels deep.
        let name = Array("[]interface {}".utf8).hex
        let level = "010e" + name + "ff820000"
        expectError(
            try stream(Self.interfaceSlice, "ff8200" + String(repeating: level, count: 10_000) + "00"),
            containing: "nested deeper than 100 levels")
    }

    @Test func recursiveTypesCannotBeDescribedInsideInterfaces() throws {
        // Type 65 is []65, sent inside an interface: it has no finite GobType.
        expectError(try stream(Self.selfSlice, "1000" + "0373656c" + "ff82" + "02" + "0000"), containing: "recursive")
    }

    @Test func transportFramingDoesNotTrustLengths() throws {
        // Claims a 1 GiB message, then the peer hangs up after 5 bytes.
        let transport = ReplayTransport(replying: [0xfc, 0x40, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5], pieceSize: 3)
        var source = TransportMessageSource(transport: transport, maxMessageSize: 2 << 30)
        #expect(throws: RPCError(.connection, method: "", message: "connection closed inside a 1073741824-byte message")) {
            try source.nextMessage()
        }

        var limited = TransportMessageSource(
            transport: ReplayTransport(replying: [0xfc, 0x40, 0x00, 0x00, 0x00]), maxMessageSize: 1 << 20)
        #expect(throws: GobError.self) { try limited.nextMessage() }

        var clean = TransportMessageSource(transport: ReplayTransport(replying: [0x02, 0x0c, 0x00]), maxMessageSize: 100)
        #expect(try clean.nextMessage() == [0x0c, 0x00])
        #expect(try clean.nextMessage() == nil)
    }
}

/// A small deterministic generator, so a failing corruption can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
