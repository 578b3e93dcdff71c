import DeltaSync
import FuzzSupport

/// One input: any bytes as a client's scan memory file (docs/FORMAT.md, section 9), decoded as it is and again with a
/// valid checksum appended, so that the fuzzer reaches the decoder behind the checksum.
///
/// The decoder must refuse or accept without crashing. A memory it accepts must survive a round trip: encoded again,
/// it decodes to what encodes alike, and names its manifest by the digest of the manifest's bytes as encoded. (The
/// input's own bytes may differ: a writer may share less of a path than it could, and the digest a decoder returns
/// names the manifest's bytes as they were stored.)
func fuzzScanMemory(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    for candidate in [bytes, bytes + FileDigest(of: bytes).bytes] {
        guard let (_, encoded) = restoredAndEncoded(candidate) else { continue }
        let again = restoredAndEncoded(encoded.bytes)
        precondition(
            again?.encoded.bytes == encoded.bytes && again?.encoded.manifest == encoded.manifest
                && again?.manifestDigest == FileDigest(of: encoded.manifest),
            "an accepted scan memory does not survive a round trip")
    }
    return 0
}

/// The digest of the manifest a scanner restored from `bytes` names, and what that scanner writes back; `nil` when
/// it refuses them.
private func restoredAndEncoded(
    _ bytes: [UInt8]
) -> (manifestDigest: FileDigest, encoded: (bytes: [UInt8], manifest: [UInt8]))? {
    let root = "/fuzz/app"
    guard var scanner = try? TreeScanner(root: root, ignoreRules: IgnoreRules()),
        let restored = try? scanner.restoreMemory(from: bytes, root: root),
        let encoded = scanner.encodedMemory(root: root)
    else { return nil }
    return (restored.manifestDigest, encoded)
}

@main enum FuzzScanMemoryMain {
    static func main() { runFuzzer(fuzzScanMemory) }
}
