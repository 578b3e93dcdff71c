/// Finds the basis blocks whose weak sum equals a window's, for the matcher's inner loop.
///
/// Layout: two bit filters answer "surely absent" for almost every window; the rare windows that pass
/// both look in a slot table (compressed-sparse-row: entries sorted by slot, then weak sum, then block)
/// that keeps each weak sum's blocks together with their strong hashes.
///
/// - The **first filter**, indexed by the weak sum's top bits, is tested at every position. It has 32 to
///   64 bits per block, so it stays in the second-level cache and lets about one window in 64 through.
/// - The **second filter**, indexed by the weak sum's low bits, is tested only for those. Together they
///   let about one window in 4,000 through to the slot table, whose lookups miss the cache: with the first
///   filter alone, those misses and the branches they come with cost more than the rolling itself.
///
/// The polynomial checksum mixes every input bit into the weak sum's top bits; its low bits mix less, but
/// the second filter only has to be independent enough of the first to multiply their rates.
///
/// Crafted input cannot make matching quadratic (colliding weak sums are a known denial of service
/// against rsync-style matchers): at most ``maximumCandidates`` blocks are compared per window, and a weak sum
/// whose candidates keep failing the strong check (``falseAlarmLimit`` times) is dropped, so strong
/// hashes computed in vain are bounded by a constant per distinct weak sum.
///
/// Memory: 8 bytes per block in each filter (rounded up to a power of two) and 20 in the slot table.
struct BlockIndex {
    static let maximumCandidates = 16
    static let falseAlarmLimit: UInt16 = 64

    private let slotShift: UInt32
    /// The first filter: bit `weak >> (32 - filterBits)`.
    let filter: [UInt64]
    /// How many top bits of the weak sum index the first filter.
    let filterBits: Int
    /// The second filter: bit `weak & secondMask`.
    let second: [UInt64]
    let secondMask: UInt32
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
        let secondMask = UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(filterBits)) - 1)
        var filter = [UInt64](repeating: 0, count: (1 << filterBits) / 64)
        var second = [UInt64](repeating: 0, count: (1 << filterBits) / 64)
        var slotStart = [Int32](repeating: 0, count: (1 << slotBits) + 1)
        let weakSums = signature.weakSums
        for value in weakSums[..<count] {
            slotStart[Int(value >> slotShift) + 1] += 1
            let bit = Int(value >> filterShift)
            filter[bit >> 6] |= 1 << UInt64(bit & 63)
            let secondBit = Int(value & secondMask)
            second[secondBit >> 6] |= 1 << UInt64(secondBit & 63)
        }
        for slot in 1..<slotStart.count { slotStart[slot] += slotStart[slot - 1] }

        // A counting sort by slot (blocks in ascending order within each slot), then a sort of each slot's
        // entries by weak sum that keeps equal weak sums' blocks in ascending order. Slots hold two
        // entries on average; a crafted signature may crowd one, so a large slot gets an O(k log k) sort.
        var next = Array(slotStart[..<(1 << slotBits)])
        var entryWeak = [UInt32](repeating: 0, count: count)
        var entryBlock = [Int32](repeating: 0, count: count)
        for block in 0..<count {
            let slot = Int(weakSums[block] >> slotShift)
            let entry = Int(next[slot])
            next[slot] += 1
            entryWeak[entry] = weakSums[block]
            entryBlock[entry] = Int32(block)
        }
        for slot in 0..<(1 << slotBits) {
            let first = Int(slotStart[slot])
            let end = Int(slotStart[slot + 1])
            if end - first > 32 {
                let sorted = (first..<end).map { (entryWeak[$0], entryBlock[$0]) }.sorted { $0 < $1 }
                for (offset, (weak, block)) in sorted.enumerated() {
                    entryWeak[first + offset] = weak
                    entryBlock[first + offset] = block
                }
                continue
            }
            for entry in first..<end {
                let weak = entryWeak[entry]
                let block = entryBlock[entry]
                var place = entry
                while place > first && entryWeak[place - 1] > weak {
                    entryWeak[place] = entryWeak[place - 1]
                    entryBlock[place] = entryBlock[place - 1]
                    place -= 1
                }
                entryWeak[place] = weak
                entryBlock[place] = block
            }
        }
        self.slotShift = slotShift
        self.filter = filter
        self.filterBits = filterBits
        self.second = second
        self.secondMask = secondMask
        self.slotStart = slotStart
        self.entryWeak = entryWeak
        self.entryBlock = entryBlock
        let strongHashes = signature.strongHashes
        entryStrong = entryBlock.map { strongHashes[Int($0)] }
        falseAlarms = [UInt16](repeating: 0, count: count)
    }

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
