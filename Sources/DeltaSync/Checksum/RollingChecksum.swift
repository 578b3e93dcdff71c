/// The weak checksum of a window of bytes, which rolls forward one byte in O(1).
///
/// It is a polynomial hash modulo 2⁶⁴, `h = Σ bᵢ·M^(L−1−i)` over the window's bytes `b₀ … b_(L−1)`
/// with the odd multiplier `M = 0x9E3779B97F4A7C15`; the weak sum is its high 32 bits, which depend on
/// every input bit (the low bits of such a hash do not). Rolling drops the oldest byte and appends a
/// new one: `h' = h·M + in − out·M^L`, where `out·M^L` comes from a 256-entry table.
///
/// Performance: rolling is one multiply, one add, one table load. Computing a window from scratch takes
/// its bytes in pairs, `b·M + b'` with `b·M` from a table, so it multiplies once per two bytes, in four
/// independent Horner chains (multiplier `M⁸`) so the multiplier's latency is hidden.
public struct RollingChecksum: Sendable {
    /// The multiplier `M`.
    public static let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
    private static let multiplier2 = multiplier &* multiplier
    private static let multiplier4 = multiplier2 &* multiplier2
    private static let multiplier6 = multiplier4 &* multiplier2
    private static let multiplier8 = multiplier4 &* multiplier4
    /// `timesMultiplier[b] = b·M`: the first byte of a pair's share.
    private static let timesMultiplier: [UInt64] = (0..<256).map { UInt64($0) &* multiplier }

    /// The window length this checksum rolls over.
    public let windowLength: Int
    /// `outgoing[b] = b·M^L`: what the byte leaving the window contributed to the hash.
    @usableFromInline let outgoing: [UInt64]
    @usableFromInline var storedState: UInt64 = 0

    /// The full 64-bit state; ``weak`` is its high half.
    @inlinable public var state: UInt64 { storedState }

    /// A checksum over windows of `windowLength` bytes.
    public init(windowLength: Int) {
        precondition(windowLength > 0, "window length must be positive")
        self.windowLength = windowLength
        var power: UInt64 = 1
        for _ in 0..<windowLength { power = power &* Self.multiplier }
        let top = power
        outgoing = (0..<256).map { UInt64($0) &* top }
    }

    /// The 32-bit weak sum of the current window.
    @inlinable public var weak: UInt32 { UInt32(truncatingIfNeeded: state >> 32) }

    /// Starts over on `window`, which must be exactly ``windowLength`` bytes.
    public mutating func reset(_ window: UnsafeRawBufferPointer) {
        precondition(window.count == windowLength)
        storedState = Self.hash(window)
    }

    /// Moves the window one byte on: `outgoing` leaves at the front, `incoming` joins at the back.
    /// Inlinable so that callers in other modules roll without a call per byte.
    @inlinable @inline(__always)
    public mutating func roll(out outgoingByte: UInt8, in incomingByte: UInt8) {
        storedState = storedState &* Self.multiplier &+ (UInt64(incomingByte) &- outgoing[Int(outgoingByte)])
    }

    /// The 64-bit polynomial hash of `bytes` (any length), computed from scratch.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        // Chain k takes pairs 4j + k, so that h = h₀·M⁶ + h₁·M⁴ + h₂·M² + h₃ over the first `grouped` bytes.
        let grouped = count & ~7
        var h = timesMultiplier.withUnsafeBufferPointer { timesMultiplier -> UInt64 in
            let times = timesMultiplier.baseAddress!
            var h0: UInt64 = 0
            var h1: UInt64 = 0
            var h2: UInt64 = 0
            var h3: UInt64 = 0
            var pair = base
            let end = base + grouped
            while pair < end {
                h0 = h0 &* multiplier8 &+ (times[Int(pair[0])] &+ UInt64(pair[1]))
                h1 = h1 &* multiplier8 &+ (times[Int(pair[2])] &+ UInt64(pair[3]))
                h2 = h2 &* multiplier8 &+ (times[Int(pair[4])] &+ UInt64(pair[5]))
                h3 = h3 &* multiplier8 &+ (times[Int(pair[6])] &+ UInt64(pair[7]))
                pair += 8
            }
            return h0 &* multiplier6 &+ h1 &* multiplier4 &+ h2 &* multiplier2 &+ h3
        }
        for index in grouped..<count {
            h = h &* multiplier &+ UInt64(base[index])
        }
        return h
    }

    /// The weak sum of `bytes`, computed from scratch.
    public static func weak(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(truncatingIfNeeded: hash(bytes) >> 32)
    }
}
