/// The matcher's inner loop: rolls the weak checksum along bytes in memory and stops only at windows whose
/// weak sum passes both filters of a ``BlockIndex``: about one position in 4,000 on data that matches
/// nothing.
///
/// Each position costs a roll (multiply and add, plus a table load), a load of the first filter's word and
/// a branch that is almost never taken; no bounds checks (raw pointers) and no calls. Positions go in pairs,
/// the second state of a pair computed from the first's predecessor, so the chain of dependent multiplies
/// is half as long as the bytes. The second filter is tested inline, only after the first passes, so the
/// loop does not stop for the first filter's false alarms.
///
/// A scanner holds only immutable tables, so several threads can scan disjoint ranges with one.
struct WindowScanner: @unchecked Sendable {
    /// A window that passed both filters: its start, relative to the scanned buffer, and the checksum state.
    struct Candidate {
        var position: Int
        var state: UInt64
    }

    let windowLength: Int
    private let outgoing: [UInt64]
    private let filter: [UInt64]
    private let second: [UInt64]
    /// The shift that leaves the first filter's bit index from the 64-bit state (the weak sum's top bits).
    private let filterShift: UInt64
    private let secondMask: UInt32

    init(index: BlockIndex, checksum: RollingChecksum) {
        windowLength = checksum.windowLength
        outgoing = checksum.outgoing
        filter = index.filter
        second = index.second
        filterShift = UInt64(64 - index.filterBits)
        secondMask = index.secondMask
    }

    /// The first window start in `start...limit` whose weak sum passes both filters, with the checksum
    /// state there; `limit` and its state when none does. `state` is the state of the window at `start`;
    /// `base` must hold `limit + windowLength` bytes.
    func firstCandidate(in base: UnsafePointer<UInt8>, from start: Int, through limit: Int, state: UInt64) -> Candidate {
        filter.withUnsafeBufferPointer { filter in
            second.withUnsafeBufferPointer { second in
                outgoing.withUnsafeBufferPointer { outgoing in
                    let filter = filter.baseAddress!
                    let second = second.baseAddress!
                    let outgoing = outgoing.baseAddress!
                    let shift = filterShift
                    let mask = secondMask
                    let multiplier = RollingChecksum.multiplier
                    let multiplier2 = multiplier &* multiplier
                    @inline(__always) func passes(_ state: UInt64) -> Bool {
                        Self.passes(state, filter: filter, shift: shift, second: second, mask: mask)
                    }
                    var state = state
                    var leaving = base + start
                    var entering = leaving + windowLength
                    let last = base + limit
                    // Two windows per step: the next-but-one state comes from this one directly, which halves
                    // the chain of dependent multiplies that bounds the loop.
                    while last - leaving >= 2 {
                        if passes(state) { return Candidate(position: leaving - base, state: state) }
                        let x0 = UInt64(entering[0]) &- outgoing[Int(leaving[0])]
                        let x1 = UInt64(entering[1]) &- outgoing[Int(leaving[1])]
                        let next = state &* multiplier &+ x0
                        state = state &* multiplier2 &+ (x0 &* multiplier &+ x1)
                        if passes(next) { return Candidate(position: leaving + 1 - base, state: next) }
                        leaving += 2
                        entering += 2
                    }
                    while true {
                        if passes(state) { break }
                        if leaving == last { break }
                        state = state &* multiplier &+ (UInt64(entering.pointee) &- outgoing[Int(leaving.pointee)])
                        leaving += 1
                        entering += 1
                    }
                    return Candidate(position: leaving - base, state: state)
                }
            }
        }
    }

    /// Appends every window start in `start...limit` whose weak sum passes both filters to `candidates`, in
    /// order; returns the checksum state of the window at `limit`.
    func allCandidates(
        in base: UnsafePointer<UInt8>, from start: Int, through limit: Int, state: UInt64,
        into candidates: inout [Candidate]
    ) -> UInt64 {
        var found = firstCandidate(in: base, from: start, through: limit, state: state)
        while found.position < limit {
            candidates.append(found)
            found = firstCandidate(
                in: base, from: found.position + 1, through: limit, state: roll(found.state, at: found.position, in: base))
        }
        if mayContain(found.state) { candidates.append(found) }
        return found.state
    }

    /// The state of the window one byte after `position`, given the state at `position`.
    @inline(__always)
    func roll(_ state: UInt64, at position: Int, in base: UnsafePointer<UInt8>) -> UInt64 {
        state &* RollingChecksum.multiplier
            &+ (UInt64(base[position + windowLength]) &- outgoing[Int(base[position])])
    }

    /// Whether the window with this checksum state passes both filters.
    func mayContain(_ state: UInt64) -> Bool {
        filter.withUnsafeBufferPointer { filter in
            second.withUnsafeBufferPointer { second in
                Self.passes(
                    state, filter: filter.baseAddress!, shift: filterShift, second: second.baseAddress!, mask: secondMask)
            }
        }
    }

    /// The filter test: the first filter's bit at the state's top bits, then the second's at the weak sum's
    /// low bits.
    @inline(__always)
    private static func passes(
        _ state: UInt64, filter: UnsafePointer<UInt64>, shift: UInt64, second: UnsafePointer<UInt64>, mask: UInt32
    ) -> Bool {
        let bit = state &>> shift
        guard filter[Int(truncatingIfNeeded: bit &>> 6)] & (1 &<< (bit & 63)) != 0 else { return false }
        let secondBit = UInt32(truncatingIfNeeded: state &>> 32) & mask
        return second[Int(secondBit &>> 6)] & (1 &<< UInt64(secondBit & 63)) != 0
    }
}
