import DeltaSync
import FuzzSupport

/// One input: any bytes as a manifest (docs/FORMAT.md, section 4).
///
/// The decoder must refuse or accept without crashing; what it accepts (paths checked, parents present, root
/// digest verified) must survive a round trip through the encoder unchanged.
func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard let manifest = try? Manifest(decoding: bytes) else { return 0 }
    let again = try? Manifest(decoding: manifest.encoded())
    precondition(again == manifest, "an accepted manifest does not survive a round trip")
    return 0
}

@main enum FuzzManifestMain {
    static func main() { runFuzzer(fuzzManifest) }
}
