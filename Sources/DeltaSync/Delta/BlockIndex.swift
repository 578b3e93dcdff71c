/// Finds the basis blocks whose weak sum equals a window's, for the matcher's inner loop.
///
/// Layout: a bit filter answers "surely absent" for almost every window from a table small enough to
/// stay in cache; the rare hits look in a slot table (compressed-sparse-row: entries sorted by slot,
/// then weak sum) that keeps each weak sum's blocks together with their strong hashes. Both are indexed
/// by the weak sum's top bits, which the polynomial checksum mixes well, so no extra hashing is needed.
///
/// Crafted input cannot make matching quadratic (colliding weak sums are a known denial of service
/// against rsync-style matchers): at most ``maximumCandidates`` blocks are compared per window, and a weak sum
/// whose candidates keep failing the strong check (``falseAlarmLimit`` times) is dropped, so strong
/// hashes computed in vain are bounded by a constant per distinct weak sum.
struct BlockIndex {
    static let maximumCandidates = 16
    static let falseAlarmLimit: UInt16 = 64

    private let slotShift: UInt32
    private let filterShift: UInt32
    private(set) var filter: [UInt64]
    private let slotStart: [Int32]
    private let entryWeak: [UInt32]
    private let entryBlock: [Int32]
    private let entryStrong: [UInt64]
    private var falseAlarms: [UInt16]

    /// Indexes blocks `0..<count` of `signature` (the matcher leaves out a short last block, which can
    /// only match at the very end of a file).
    init(signature: Signature, count: Int) {
        let slotBits = max(10, min(28, Int.bitWidth - (max(count, 1) - 1).leadingZeroBitCount + 1))
        let filterBits = min(32, slotBits + 5)
        let slotShift = UInt32(32 - slotBits)
        let filterShift = UInt32(32 - filterBits)
        self.slotShift = slotShift
        self.filterShift = filterShift
        var filter = [UInt64](repeating: 0, count: (1 << filterBits) / 64)
        var slotCounts = [Int32](repeating: 0, count: (1 << slotBits) + 1)
        let weakSums = signature.weakSums
        for value in weakSums[..<count] {
            slotCounts[Int(value >> slotShift) + 1] += 1
            let bit = Int(value >> filterShift)
            filter[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        for slot in 1..<slotCounts.count { slotCounts[slot] += slotCounts[slot - 1] }
        let order = (0..<count).sorted { a, b in
            weakSums[a] != weakSums[b] ? weakSums[a] < weakSums[b] : a < b
        }
        self.filter = filter
        slotStart = slotCounts
        entryWeak = order.map { signature.weakSums[$0] }
        entryBlock = order.map { Int32($0) }
        entryStrong = order.map { signature.strongHashes[$0] }
        falseAlarms = [UInt16](repeating: 0, count: count)
    }

    /// The filter position of a weak sum; the matcher tests it in its inner loop.
    @inline(__always) static func filterBit(_ weak: UInt32, shift: UInt32) -> Int {
        Int(weak >> shift)
    }

    var filterBitShift: UInt32 { filterShift }

    /// The block whose weak sum is `weak` and whose strong hash equals the window's, preferring
    /// `preferred` (the block after the previous match) so runs of copies form; `nil` if none.
    mutating func match(weak: UInt32, strongHash: () -> UInt64, preferred: Int) -> Int? {
        let slot = Int(weak >> slotShift)
        var entry = Int(slotStart[slot])
        let slotEnd = Int(slotStart[slot + 1])
        while entry < slotEnd && entryWeak[entry] != weak { entry += 1 }
        guard entry < slotEnd else { return nil }
        let group = entry
        guard falseAlarms[group] < Self.falseAlarmLimit else { return nil }
        let strong = strongHash()
        var found: Int? = nil
        var checked = 0
        while entry < slotEnd && entryWeak[entry] == weak && checked < Self.maximumCandidates {
            if entryStrong[entry] == strong {
                let block = Int(entryBlock[entry])
                if block == preferred { return block }
                if found == nil { found = block }
            }
            entry += 1
            checked += 1
        }
        if found == nil { falseAlarms[group] += 1 }
        return found
    }
}
