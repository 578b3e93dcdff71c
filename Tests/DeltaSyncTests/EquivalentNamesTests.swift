import Glibc
import Testing

@testable import DeltaSync

/// Names that Unicode calls equivalent but Linux keeps apart ("café" with a precomposed "é" and with "e" plus a
/// combining accent) are two entries everywhere: in manifests, digests, diffs, plans and applied pushes.
@Suite struct EquivalentNamesTests {
    /// "café.txt" precomposed (NFC) and decomposed (NFD): equal as Swift `String`s, different bytes.
    static let composed = "caf\u{E9}.txt"
    static let decomposed = "cafe\u{301}.txt"
    static let composedDirectory = "\u{E9}t\u{E9}"
    static let decomposedDirectory = "e\u{301}te\u{301}"

    static func bytes(_ paths: [String]) -> [[UInt8]] { paths.map { Array($0.utf8) } }

    func manifest(_ tree: TemporaryDirectory) throws -> Manifest {
        var scanner = try TreeScanner(root: tree.path, ignoreRules: IgnoreRules(includeDefaults: false))
        return try scanner.scan().manifest
    }

    /// Both files, and two directories holding `first` and `second` respectively.
    func tree(first: String = "one", second: String = "two") throws -> TemporaryDirectory {
        let tree = try TemporaryDirectory()
        try FileTree.write(Array("composed".utf8), to: tree.file(Self.composed))
        try FileTree.write(Array("decomposed".utf8), to: tree.file(Self.decomposed))
        try FileTree.makeDirectories(tree.file(Self.composedDirectory))
        try FileTree.makeDirectories(tree.file(Self.decomposedDirectory))
        try FileTree.write(Array(first.utf8), to: tree.file(Self.composedDirectory + "/x"))
        try FileTree.write(Array(second.utf8), to: tree.file(Self.decomposedDirectory + "/x"))
        return tree
    }

    @Test func theManifestListsBothAndRoundTrips() throws {
        #expect(Self.composed == Self.decomposed, "Swift calls them equal: the reason for this suite")
        let tree = try tree()
        let manifest = try manifest(tree)
        let paths = manifest.entries.map(\.path)
        #expect(Self.bytes(paths) == Self.bytes(paths).sorted { $0.lexicographicallyPrecedes($1) })
        #expect(
            Set(Self.bytes(paths))
                == Set(
                    Self.bytes([
                        Self.composed, Self.decomposed, Self.composedDirectory, Self.decomposedDirectory,
                        Self.composedDirectory + "/x", Self.decomposedDirectory + "/x",
                    ])))
        #expect(manifest[Self.composed]?.digest == FileDigest(of: Array("composed".utf8)))
        #expect(manifest[Self.decomposed]?.digest == FileDigest(of: Array("decomposed".utf8)))
        #expect(try Manifest(decoding: manifest.encoded()).rootDigest == manifest.rootDigest)
    }

    @Test func directoriesWithEquivalentNamesHashApart() throws {
        // The same two files, swapped between the two directories: a different tree, so a different root digest
        // and a diff that says which files changed.
        let before = try manifest(try tree(first: "one", second: "two"))
        let after = try manifest(try tree(first: "two", second: "one"))
        #expect(before.rootDigest != after.rootDigest)
        #expect(Set(Self.bytes(after.diff(from: before).modified.map(\.path))) == Set(Self.bytes([Self.composedDirectory + "/x", Self.decomposedDirectory + "/x"])))
    }

    @Test func aPushChangesEachOfThemAsADelta() throws {
        let server = try tree()
        let local = try tree()
        for (index, name) in [Self.composed, Self.decomposed].enumerated() {
            var content = SeededGenerator.bytes(seed: UInt64(60 + index), count: 100_000)
            try FileTree.write(content, to: server.file(name))
            content[50_000] ^= 0xFF
            try FileTree.write(content, to: local.file(name))
        }
        let remote = try manifest(server)
        var signatures: [PathKey: Signature] = [:]
        for name in [Self.composed, Self.decomposed] {
            signatures[PathKey(name)] = try Signature(file: server.file(name))
        }
        let plan = try PushPlanner(localRoot: local.path).plan(local: manifest(local), remote: remote, signatures: signatures)
        #expect(Set(Self.bytes(plan.items.map(\.path))) == Set(Self.bytes([Self.composed, Self.decomposed])))
        #expect(plan.items.allSatisfy { $0.form == .delta }, "each file against its own signature")
        _ = try BundleApplier(root: server.path).apply(plan.bundle)
        #expect(try manifest(server).rootDigest == manifest(local).rootDigest)
        #expect(try FileTree.read(server.file(Self.composed)) == FileTree.read(local.file(Self.composed)))
        #expect(try FileTree.read(server.file(Self.decomposed)) == FileTree.read(local.file(Self.decomposed)))
    }

    @Test func aBundleMayWriteBothAndDeleteOneDirectoryWhileFillingTheOther() throws {
        let server = try tree()
        let bundle = PushBundle(operations: [
            .file(path: Self.composed, expected: .file(FileDigest(of: Array("composed".utf8))), mode: 0o644,
                  delta: Delta.make(signature: Signature(bytes: []), bytes: Array("new composed".utf8)).delta),
            .file(path: Self.decomposed, expected: .file(FileDigest(of: Array("decomposed".utf8))), mode: 0o644,
                  delta: Delta.make(signature: Signature(bytes: []), bytes: Array("new decomposed".utf8)).delta),
            .delete(path: Self.composedDirectory + "/x", expected: .file(FileDigest(of: Array("one".utf8)))),
            .file(path: Self.decomposedDirectory + "/y", expected: .absent, mode: 0o644,
                  delta: Delta.make(signature: Signature(bytes: []), bytes: Array("y".utf8)).delta),
            .delete(path: Self.composedDirectory, expected: .directory),
        ])
        _ = try BundleApplier(root: server.path).apply(bundle)
        #expect(try FileTree.read(server.file(Self.composed)) == Array("new composed".utf8))
        #expect(try FileTree.read(server.file(Self.decomposed)) == Array("new decomposed".utf8))
        #expect(access(server.file(Self.composedDirectory), F_OK) != 0)
        #expect(try FileTree.read(server.file(Self.decomposedDirectory + "/y")) == Array("y".utf8))
    }

    @Test func theStatCacheKeepsADigestForEach() throws {
        let tree = try tree()
        age(tree.file(Self.composed), secondsAgo: 60)
        age(tree.file(Self.decomposed), secondsAgo: 60)
        var scanner = try TreeScanner(root: tree.path, ignoreRules: IgnoreRules(includeDefaults: false))
        scanner.cache.racyInterval = 0
        _ = try scanner.scan()
        let again = try scanner.scan()
        #expect(again.hashedFiles == 0, "every file's digest came from the cache")
    }
}
