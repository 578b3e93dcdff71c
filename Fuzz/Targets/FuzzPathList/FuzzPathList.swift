import DeltaSync
import FuzzSupport

/// One input: any bytes as the body of `v2/signatures` (docs/FORMAT.md, section 6), in either form.
///
/// The decoder must refuse or accept without crashing; the paths it accepts must survive a round trip through
/// the binary form byte for byte (names that differ only in Unicode form stay apart).
func fuzzPathList(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard let paths = try? PathList.decoded(bytes) else { return 0 }
    let again = (try? PathList.decoded(PathList.encoded(paths))) ?? []
    let keys: [PathKey] = paths.map { PathKey($0) }
    precondition(again.map { PathKey($0) } == keys, "an accepted path list does not survive a round trip")
    return 0
}

@main enum FuzzPathListMain {
    static func main() { runFuzzer(fuzzPathList) }
}
