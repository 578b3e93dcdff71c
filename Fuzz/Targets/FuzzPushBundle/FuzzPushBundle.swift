import DeltaSync
import Glibc
import FuzzSupport

/// A small app the fuzzed bundles are checked against (created once per fuzzing process): the seeds in
/// Fuzz/Corpus/push-bundle are bundles for it, so the fuzzer starts from preconditions that hold.
enum Fixture {
    static let files: [(path: String, text: String)] = [
        ("app.py", "print('v1')\n"),
        ("static/page.css", "body { color: red }\n"),
        ("static/notes.txt", (0..<60).map { "note \($0): the quick brown fox jumps over the lazy dog\n" }.joined()),
    ]

    static let root: String = {
        let root = try! FileTree.makeTemporaryDirectory(prefix: "fastpush-fuzz-bundle")
        try! FileTree.makeDirectories(root + "/static")
        try! FileTree.makeDirectories(root + "/empty")
        for file in files { try! FileTree.write(Array(file.text.utf8), to: root + "/" + file.path) }
        precondition(symlink("static", root + "/link") == 0)
        atexit { try? FileTree.removeRecursively(Fixture.root) }
        return root
    }()

    static let rootDigest: FileDigest = digest()

    static func digest() -> FileDigest {
        var scanner = try! TreeScanner(root: root, ignoreRules: IgnoreRules(includeDefaults: false))
        return try! scanner.scan().manifest.rootDigest
    }
}

/// One input: any bytes as a push bundle (docs/FORMAT.md, section 5), then, when they decode, a
/// dry run of the bundle against ``Fixture``: every check and every delta is run, the content staged, nothing
/// committed.
///
/// Decoding must refuse or accept without crashing; what it accepts must survive a round trip through the
/// encoder; and whatever the dry run decides, the app must be exactly as before, no staging left behind.
func fuzzPushBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard let bundle = try? PushBundle(decoding: bytes) else { return 0 }
    precondition((try? PushBundle(decoding: bundle.encoded())) == bundle, "an accepted bundle does not survive a round trip")
    let before = Fixture.rootDigest
    _ = try? BundleApplier(root: Fixture.root, maximumFileSize: 1 << 22).apply(bundle, dryRun: true)
    precondition(Fixture.digest() == before, "a dry run changed the app")
    return 0
}

@main enum FuzzPushBundleMain {
    static func main() { runFuzzer(fuzzPushBundle) }
}
