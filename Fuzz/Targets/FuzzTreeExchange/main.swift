import DeltaSync
import FuzzSupport

/// A small tree, as a client and as a server see it, for the decoded inputs to meet.
let clientTree = try! Manifest(entries: [
    ManifestEntry(path: "src", kind: .directory, mode: 0o755),
    ManifestEntry(path: "src/app.js", kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [1])),
    ManifestEntry(path: "link", kind: .symlink, size: 3, mode: 0o777, symlinkTarget: "src"),
])
let serverTree = try! Manifest(entries: clientTree.entries + [
    ManifestEntry(path: "cache", kind: .directory, mode: 0o755),
    ManifestEntry(path: "cache/a", kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [2])),
])

/// One input: any bytes as the body of `v2/difference` (a tree summary, docs/FORMAT.md) or as its answer (a tree
/// difference), whichever magic they start with.
///
/// Both decoders must refuse or accept without crashing; what they accept must survive a round trip through the
/// binary form. An accepted summary is answered as the controller would; an accepted difference is rebuilt into
/// a tree as the client would, which must refuse it or produce a tree with the difference's root digest.
func fuzzTreeExchange(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    if let summary = try? TreeSummary(decoding: bytes) {
        precondition((try? TreeSummary(decoding: summary.encoded())) == summary, "an accepted summary does not survive a round trip")
        _ = serverTree.difference(for: summary).encoded()
    }
    if let difference = try? TreeDifference(decoding: bytes) {
        precondition((try? TreeDifference(decoding: difference.encoded())) == difference, "an accepted difference does not survive a round trip")
        if let tree = try? RemoteTree(local: clientTree, difference: difference), tree.folded.isEmpty {
            precondition(tree.manifest.rootDigest == difference.rootDigest, "a rebuilt tree is not the one its root digest names")
        }
    }
    return 0
}

@main enum FuzzTreeExchangeMain {
    static func main() { runFuzzer(fuzzTreeExchange) }
}
