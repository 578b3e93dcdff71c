import DeltaSync
import FuzzSupport

/// One input: any bytes as a client's scan memory file (docs/FORMAT.md, section 9), decoded as it is and again with a
/// valid checksum appended, so that the fuzzer reaches the decoder behind the checksum.
///
/// The decoder must refuse or accept without crashing; a memory it accepts must survive a round trip (encoded again,
/// decoded and encoded alike: a writer may share less of a path than it could, so the input bytes may differ).
func fuzzScanMemory(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    for candidate in [bytes, bytes + FileDigest(of: bytes).bytes] {
        guard let (encoded, manifest) = restoredAndEncoded(candidate) else { continue }
        let again = restoredAndEncoded(encoded)
        precondition(again?.bytes == encoded && again?.manifest == manifest, "an accepted scan memory does not survive a round trip")
    }
    return 0
}

/// What a scanner restored from `bytes` writes back, or `nil` when it refuses them.
private func restoredAndEncoded(_ bytes: [UInt8]) -> (bytes: [UInt8], manifest: [UInt8])? {
    let root = "/fuzz/app"
    guard var scanner = try? TreeScanner(root: root, ignoreRules: IgnoreRules()),
        let restored = try? scanner.restoreMemory(from: bytes, root: root)
    else { return nil }
    let encoded = scanner.encodedMemory(root: root)
    precondition(
        encoded.map { FileDigest(of: $0.manifest) } == restored.manifestDigest, "a restored scan memory names another manifest")
    return encoded
}

@main enum FuzzScanMemoryMain {
    static func main() { runFuzzer(fuzzScanMemory) }
}
