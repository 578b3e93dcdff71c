import DeltaSync
import Synchronization

/// Keeps a push's tree scanner for the next push from the same directory in this process (`--watch`): its stat
/// cache is in memory already, and its next scan reuses what did not change since the last.
final class ScannerKeeper: Sendable {
    private let kept = Mutex<TreeScanner?>(nil)

    init() {}

    /// The kept scanner of `root`, if its ignore rules are still `ignoreRules` (an edited `.cfignore` starts
    /// afresh); it is handed out once, so two pushes never share one.
    func take(root: String, ignoreRules: IgnoreRules) -> TreeScanner? {
        kept.withLock { kept in
            defer { kept = nil }
            guard let scanner = kept, scanner.root == root, scanner.ignoreRules == ignoreRules else { return nil }
            return scanner
        }
    }

    /// Keeps `scanner` for the next push.
    func keep(_ scanner: TreeScanner) {
        kept.withLock { $0 = scanner }
    }
}
