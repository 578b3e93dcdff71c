import DeltaSync
import FuzzSupport

/// The basis every fuzzed delta is applied to; the seeds in Fuzz/Corpus/delta are deltas against it, so the
/// fuzzer starts from COPY operations that reach real blocks.
let basis: [UInt8] = Array(
    (0..<120).map { "line \($0): the quick brown fox jumps over the lazy dog\n" }.joined().utf8)

/// One input: any bytes as a delta (docs/FORMAT.md, section 3), applied to ``basis``.
///
/// The patcher must refuse or rebuild without crashing, and never hand out a target it has not verified: what it
/// accepts must have the size and XXH3-128 digest its END operation names.
func fuzzDelta(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let delta = input(data, size)
    _ = try? Delta.basisSize(of: delta)
    var sink = MemorySink()
    guard
        let summary = try? Patch.apply(
            basis: MemorySource(basis), delta: MemorySource(delta), to: &sink, maximumTargetSize: 1 << 22)
    else { return 0 }
    precondition(summary.targetSize == sink.bytes.count, "the patcher accepted a target of the wrong size")
    precondition(summary.targetDigest == FileDigest(of: sink.bytes), "the patcher accepted a target with the wrong digest")
    return 0
}

@main enum FuzzDeltaMain {
    static func main() { runFuzzer(fuzzDelta) }
}
