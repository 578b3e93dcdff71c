import Foundation
import Testing

@testable import GobRPC

/// The primitive encodings, against the examples of the protocol notes and Go's gob docs.
@Suite struct GobPrimitiveTests {
    private func encodedUInt(_ value: UInt64) -> [UInt8] {
        var writer = GobByteWriter()
        writer.writeUInt(value)
        return writer.bytes
    }

    private func encodedInt(_ value: Int64) -> [UInt8] {
        var writer = GobByteWriter()
        writer.writeInt(value)
        return writer.bytes
    }

    static let unsignedCases: [(UInt64, [UInt8])] = [
        (0, [0x00]), (7, [0x07]), (0x7f, [0x7f]), (0x80, [0xff, 0x80]), (256, [0xfe, 0x01, 0x00]),
        (UInt64.max, [0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ]

    static let signedCases: [(Int64, [UInt8])] = [
        (0, [0x00]), (1, [0x02]), (-1, [0x01]), (65, [0xff, 0x82]), (-65, [0xff, 0x81]), (256, [0xfe, 0x02, 0x00]),
        (Int64.min, [0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        (Int64.max, [0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]),
    ]

    @Test(arguments: unsignedCases)
    func unsignedIntegers(value: UInt64, bytes: [UInt8]) throws {
        #expect(encodedUInt(value) == bytes)
        var reader = GobByteReader(bytes)
        #expect(try reader.readUInt() == value)
        #expect(reader.isAtEnd)
    }

    @Test(arguments: signedCases)
    func signedIntegers(value: Int64, bytes: [UInt8]) throws {
        #expect(encodedInt(value) == bytes)
        var reader = GobByteReader(bytes)
        #expect(try reader.readInt() == value)
    }

    @Test func floatsAreByteReversed() throws {
        var writer = GobByteWriter()
        writer.writeFloat(0.5)
        writer.writeFloat(17)
        writer.writeFloat(0)
        // 17.0 is 0x4031000000000000: reversed, 0x3140 -> fe 31 40 (Go's doc example).
        #expect(writer.bytes == [0xfe, 0xe0, 0x3f, 0xfe, 0x31, 0x40, 0x00])
        var reader = GobByteReader(writer.bytes)
        #expect(try reader.readFloat() == 0.5)
        #expect(try reader.readFloat() == 17)
        #expect(try reader.readFloat() == 0)
        for value in [Double.pi, -1e300, .infinity, -.leastNonzeroMagnitude] {
            var w = GobByteWriter()
            w.writeFloat(value)
            var r = GobByteReader(w.bytes)
            #expect(try r.readFloat() == value)
        }
    }

    @Test func topLevelValuesMatchGo() throws {
        // Bytes printed by Go's encoding/gob for the same values.
        func encode(_ value: GobValue, _ type: GobType) throws -> [UInt8] {
            var encoder = GobEncoder(registry: GobTypeRegistry())
            return try encoder.encode(value, as: type)
        }
        #expect(try encode(.string(""), .string) == [0x03, 0x0c, 0x00, 0x00])
        #expect(try encode(.bool(true), .bool) == [0x03, 0x02, 0x00, 0x01])
        #expect(try encode(.int(-65), .int) == [0x04, 0x04, 0x00, 0xff, 0x81])
        #expect(try encode(.bytes([1, 2]), .bytes) == [0x05, 0x0a, 0x00, 0x02, 0x01, 0x02])
        #expect(try encode(.complex(real: 0.5, imaginary: 0), .complex) == [0x06, 0x0e, 0x00, 0xfe, 0xe0, 0x3f, 0x00])
    }

    @Test func timeVersions() throws {
        // From Go 1.19: time.Date(2024, 1, 2, 3, 4, 5, 6, UTC).MarshalBinary() and the same
        // wall time in a zone at +05:30:07, which needs version 2.
        let utc = try ProtocolVectors.bytes(hex: "010000000edd25742500000006ffff")
        let odd = try ProtocolVectors.bytes(hex: "020000000edd2526c600000006014a07")
        let utcTime = try GobTime(marshaled: utc)
        #expect(utcTime.utcOffset == nil)
        #expect(utcTime.date == Date(timeIntervalSince1970: 1_704_164_645.000000006))
        #expect(utcTime.marshaled == utc)
        let oddTime = try GobTime(marshaled: odd)
        #expect(oddTime.utcOffset == 5 * 3600 + 30 * 60 + 7)
        #expect(oddTime.secondsSinceYear1 == utcTime.secondsSinceYear1 - Int64(oddTime.utcOffset!))
        #expect(oddTime.marshaled == odd)
        let negative = GobTime(secondsSinceYear1: 1, nanoseconds: 2, utcOffset: -7 * 3600)
        #expect(negative.marshaled.count == 15)
        #expect(try GobTime(marshaled: negative.marshaled) == negative)
        #expect(GobTime(Date(timeIntervalSince1970: 1.25)).marshaled == GobTime(secondsSinceYear1: 62_135_596_801, nanoseconds: 250_000_000).marshaled)
        #expect(throws: GobError.self) { try GobTime(marshaled: []) }
        #expect(throws: GobError.self) { try GobTime(marshaled: [3] + Array(utc.dropFirst())) }
        #expect(throws: GobError.self) { try GobTime(marshaled: Array(utc.dropLast())) }
        #expect(throws: GobError.self) { try GobTime(marshaled: Array(odd.dropLast())) }
    }
}
