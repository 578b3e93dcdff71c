public import Foundation

/// Go's `time.Time` in its MarshalBinary form, which is what gob sends for it.
///
/// Version 1: `01`, int64 seconds since 0001-01-01 UTC, int32 nanoseconds, int16 zone offset in
/// minutes (-1 for UTC). Version 2 adds an int8 of offset seconds for zones not on a minute.
public struct GobTime: Equatable, Sendable {
    /// Seconds from 0001-01-01 00:00:00 UTC to the Unix epoch.
    static let unixEpochSeconds: Int64 = 62_135_596_800

    public var secondsSinceYear1: Int64
    public var nanoseconds: Int32
    /// The zone's offset from UTC in seconds; nil means UTC itself.
    public var utcOffset: Int?

    public init(secondsSinceYear1: Int64, nanoseconds: Int32, utcOffset: Int? = nil) {
        self.secondsSinceYear1 = secondsSinceYear1
        self.nanoseconds = nanoseconds
        self.utcOffset = utcOffset
    }

    /// The instant of `date` in UTC, to the nearest nanosecond a Double allows.
    public init(_ date: Date) {
        // Clamped to what Go's int64 seconds can hold (about ±292 billion years).
        let raw = date.timeIntervalSince1970
        let interval = raw.isFinite ? min(max(raw, -9e18), 9e18) : 0
        let whole = interval.rounded(.down)
        var nanos = Int32(((interval - whole) * 1e9).rounded())
        var seconds = Int64(whole)
        if nanos >= 1_000_000_000 {
            nanos -= 1_000_000_000
            seconds += 1
        }
        self.init(secondsSinceYear1: seconds + Self.unixEpochSeconds, nanoseconds: nanos)
    }

    public var date: Date {
        Date(timeIntervalSince1970: Double(secondsSinceYear1 - Self.unixEpochSeconds) + Double(nanoseconds) / 1e9)
    }

    /// Go's zero time (0001-01-01 UTC), which gob leaves out of structs.
    public var isZero: Bool { secondsSinceYear1 == 0 && nanoseconds == 0 }

    public init(marshaled bytes: [UInt8]) throws(GobError) {
        guard let version = bytes.first else { throw GobError("time: no data") }
        guard version == 1 || version == 2 else { throw GobError("time: unsupported version \(version)") }
        let expected = version == 1 ? 15 : 16
        guard bytes.count == expected else {
            throw GobError("time: version \(version) needs \(expected) bytes, got \(bytes.count)")
        }
        func bigEndian(_ range: Range<Int>) -> UInt64 { bytes[range].reduce(0) { $0 << 8 | UInt64($1) } }
        secondsSinceYear1 = Int64(bitPattern: bigEndian(1..<9))
        let nanos = UInt32(truncatingIfNeeded: bigEndian(9..<13))
        guard nanos < 1_000_000_000 else { throw GobError("time: nanoseconds \(nanos) out of range") }
        nanoseconds = Int32(nanos)
        let minutes = Int16(bitPattern: UInt16(truncatingIfNeeded: bigEndian(13..<15)))
        let extraSeconds = version == 2 ? Int(Int8(bitPattern: bytes[15])) : 0
        utcOffset = minutes == -1 ? nil : Int(minutes) * 60 + extraSeconds
    }

    /// The bytes Go's MarshalBinary produces: version 2 only when the offset has seconds.
    public var marshaled: [UInt8] {
        var minutes: Int16 = -1
        var extraSeconds: Int8?
        if let utcOffset {
            minutes = Int16(truncatingIfNeeded: utcOffset / 60)
            if utcOffset % 60 != 0 { extraSeconds = Int8(truncatingIfNeeded: utcOffset % 60) }
        }
        var bytes: [UInt8] = [extraSeconds == nil ? 1 : 2]
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: secondsSinceYear1 >> Int64(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: nanoseconds >> Int32(shift))) }
        bytes.append(UInt8(truncatingIfNeeded: UInt16(bitPattern: minutes) >> 8))
        bytes.append(UInt8(truncatingIfNeeded: UInt16(bitPattern: minutes)))
        if let extraSeconds { bytes.append(UInt8(bitPattern: extraSeconds)) }
        return bytes
    }
}
