import DeltaSync
import Synchronization

/// Keeps a push's tree scanner for the next push from the same directory in this process (`--watch`): its next scan
/// reuses what did not change since the last, and the digest of its last manifest's bytes, when known, lets the next
/// push take that manifest as the one it pushed instead of decoding the cache's.
final class ScannerKeeper: Sendable {
    private let kept = Mutex<(scanner: TreeScanner, manifestDigest: FileDigest?)?>(nil)

    init() {}

    /// The kept scanner of `root`, if its ignore rules are still `ignoreRules` (an edited `.cfignore` starts
    /// afresh), with its last scan's manifest and the digest of its bytes when known; it is handed out once, so two
    /// pushes never share one.
    func take(
        root: String, ignoreRules: IgnoreRules
    ) -> (scanner: TreeScanner, lastScanned: (manifest: Manifest, manifestDigest: FileDigest)?)? {
        kept.withLock { kept in
            defer { kept = nil }
            guard let (scanner, digest) = kept, scanner.root == root, scanner.ignoreRules == ignoreRules else { return nil }
            let lastScanned = scanner.lastManifest.flatMap { manifest in digest.map { (manifest, $0) } }
            return (scanner, lastScanned)
        }
    }

    /// Keeps `scanner` for the next push; `manifestDigest` is the digest of its last manifest's binary form, if known.
    func keep(_ scanner: TreeScanner, manifestDigest: FileDigest? = nil) {
        kept.withLock { $0 = (scanner, manifestDigest) }
    }
}
