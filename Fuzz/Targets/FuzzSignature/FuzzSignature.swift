import DeltaSync
import FuzzSupport

/// One input: any bytes as a signature (docs/FORMAT.md, section 2).
///
/// The decoder must refuse or accept without crashing or allocating what a header merely claims, and what it
/// accepts must re-encode to the very same bytes: the format allows one encoding per signature.
func fuzzSignature(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard let signature = try? Signature(decoding: bytes) else { return 0 }
    precondition(signature.encoded() == bytes, "an accepted signature re-encodes to different bytes")
    return 0
}

@main enum FuzzSignatureMain {
    static func main() { runFuzzer(fuzzSignature) }
}
