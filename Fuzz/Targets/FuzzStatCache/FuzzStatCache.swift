import DeltaSync
import FuzzSupport

/// One input: any bytes as a client's stat cache file (docs/FORMAT.md, section 7), decoded as it is and again with a
/// valid checksum appended, so that the fuzzer reaches the decoder behind the checksum.
///
/// The decoder must refuse or accept without crashing; a cache it accepts must survive a round trip (the same
/// entries, encoded alike: a writer may share less of a path than it could, so the bytes themselves may differ).
func fuzzStatCache(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    let root = "/fuzz/app"
    for candidate in [bytes, bytes + FileDigest(of: bytes).bytes] {
        guard let cache = try? StatCache<FileDigest>(decoding: candidate, root: root) else { continue }
        let encoded = cache.encoded(root: root)
        let again = try? StatCache<FileDigest>(decoding: encoded, root: root)
        precondition(
            again?.count == cache.count && again?.encoded(root: root) == encoded, "an accepted stat cache does not survive a round trip")
    }
    return 0
}

@main enum FuzzStatCacheMain {
    static func main() { runFuzzer(fuzzStatCache) }
}
