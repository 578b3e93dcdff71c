@testable import Controller
import DeltaSync
import FuzzSupport

/// One input: any bytes as the body of the original API's `PUT files` (a JSON map of paths to
/// entries with base64 content).
///
/// The parser must refuse or accept without crashing or recursing without bound; what it accepts, written out
/// again the way the controller writes this JSON, must read back as the same files; and every accepted path
/// either normalizes to a safe relative path or is refused.
func fuzzLegacyJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard let files = try? LegacyJSON.decodeUpload(bytes) else { return 0 }
    // Keyed by bytes: two names that differ only in Unicode form are two files.
    var entries: [PathKey: LegacyFileEntry] = [:]
    for file in files { entries[PathKey(file.path)] = LegacyFileEntry(checksum: "", modification: 0, content: file.content) }
    let again = try? LegacyJSON.decodeUpload(LegacyJSON.encode(files: entries))
    let decoded: [PathKey: [UInt8]]? = again.map { Dictionary(uniqueKeysWithValues: $0.map { (PathKey($0.path), $0.content) }) }
    let original: [PathKey: [UInt8]] = Dictionary(uniqueKeysWithValues: files.map { (PathKey($0.path), $0.content) })
    precondition(decoded == original, "an accepted upload does not survive a round trip")
    for file in files {
        if let path = try? LegacyFileAPI.normalizeAppPath(file.path) {
            precondition(!path.hasPrefix("/") && !path.split(separator: "/").contains(".."), "an unsafe path was accepted")
        }
    }
    return 0
}

@main enum FuzzLegacyJSONMain {
    static func main() { runFuzzer(fuzzLegacyJSON) }
}
