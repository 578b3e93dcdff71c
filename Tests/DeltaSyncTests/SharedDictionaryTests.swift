import Testing

@testable import DeltaSync

/// Bundles whose files share a dictionary: smaller when files share text, applied exactly, refused whole when the
/// dictionary they were made with is not the one they arrive with.
@Suite struct SharedDictionaryTests {
    let local: TemporaryDirectory
    let server: TemporaryDirectory

    /// 30 new files of code-like text (sharing words, as source files do) and one changed binary.
    init() throws {
        local = try TemporaryDirectory()
        server = try TemporaryDirectory()
        try FileTree.makeDirectories(local.file("src"))
        for index in 0..<30 {
            try FileTree.write(SeededGenerator.text(seed: 100 + UInt64(index), lines: 40 + index * 7), to: local.file("src/f\(index).swift"))
        }
        let data = SeededGenerator.bytes(seed: 9, count: 300_000)
        try FileTree.write(data, to: server.file("data.bin"))
        var changed = data
        changed.replaceSubrange(5..<9, with: Array("edit".utf8))
        try FileTree.write(changed, to: local.file("data.bin"))
    }

    func manifest(_ tree: TemporaryDirectory) throws -> Manifest {
        var scanner = try TreeScanner(root: tree.path)
        return try scanner.scan().manifest
    }

    func plan(_ dictionary: PushPlanner.Dictionary) throws -> PushPlanner.Plan {
        let signature = try Signature(file: server.file("data.bin"))
        return try PushPlanner(localRoot: local.path).plan(
            local: manifest(local), remote: manifest(server), signatures: ["data.bin": signature], dictionary: dictionary)
    }

    @Test func filesThatShareTextCostLessAndApplyExactly() throws {
        let plain = try plan(.none).bundle
        let shared = try plan(.automatic).bundle
        #expect(plain.dictionary.isEmpty)
        #expect(shared.dictionary.count >= 1024 && shared.dictionary.count <= 32 * 1024)
        let (plainBytes, sharedBytes) = (plain.encoded().count, shared.encoded().count)
        #expect(sharedBytes * 100 < plainBytes * 95, "with a dictionary \(sharedBytes) B, without \(plainBytes) B")

        let decoded = try PushBundle(decoding: shared.encoded())
        #expect(decoded == shared)
        _ = try BundleApplier(root: server.path).apply(decoded)
        #expect(try manifest(server).rootDigest == manifest(local).rootDigest)
    }

    @Test func aBundleWithoutTheDictionaryItWasMadeWithIsRefusedWhole() throws {
        var stripped = try plan(.automatic).bundle
        stripped.dictionary = []
        let before = try manifest(server)
        #expect(throws: DeltaSyncError.self) { try BundleApplier(root: server.path).apply(stripped) }
        #expect(try manifest(server) == before)
        #expect(try server.names() == ["data.bin"], "nothing staged is left behind")
    }

    @Test func incompressibleOrSingleFilesGetNone() throws {
        let random = try TemporaryDirectory()
        for index in 0..<5 {
            try FileTree.write(SeededGenerator.bytes(seed: UInt64(index), count: 50_000), to: random.file("r\(index).bin"))
        }
        var scanner = try TreeScanner(root: random.path)
        let plan = try PushPlanner(localRoot: random.path).plan(local: scanner.scan().manifest, remote: .empty, dictionary: .automatic)
        #expect(plan.bundle.dictionary.isEmpty)

        let single = try TemporaryDirectory()
        try FileTree.write(SeededGenerator.text(seed: 1, lines: 2_000), to: single.file("one.swift"))
        var singleScanner = try TreeScanner(root: single.path)
        #expect(try PushPlanner(localRoot: single.path).plan(local: singleScanner.scan().manifest, remote: .empty, dictionary: .automatic).bundle.dictionary.isEmpty)
    }

    @Test func completingAHeldPushNeedsItsDictionary() throws {
        let bundle = try plan(.automatic).bundle
        let held = Array(bundle.operations.dropFirst())
        let retry = PushBundle(operations: [bundle.operations[0]], dictionary: bundle.dictionary)
        #expect(try retry.completing(held, dictionary: bundle.dictionary).operations.count == bundle.operations.count)
        let error = #expect(throws: DeltaSyncError.self) {
            try PushBundle(operations: [bundle.operations[0]]).completing(held, dictionary: bundle.dictionary)
        }
        #expect(error?.message.contains("shared dictionary") == true)
    }

    @Test func malformedDictionariesAreRefusedWithWhatIsWrong() throws {
        let header = Array("FPPB".utf8) + [1]
        let end: [UInt8] = [0, 0]
        func refusal(_ bytes: [UInt8]) -> String? {
            do {
                _ = try PushBundle(decoding: bytes)
                return nil
            } catch { return error.message }
        }
        #expect(refusal(header + [1, 0] + end)?.contains("dictionary is empty") == true)
        #expect(refusal(header + [1, 0x81, 0x80, 0x02] + end)?.contains("dictionary length") == true, "over 32 KiB")
        #expect(refusal(header + [1, 4, 4, 1, 2, 3, 4] + end)?.contains("compressed dictionary length") == true)
        #expect(refusal(header + [1, 8, 3, 0xFF, 0xFF, 0xFF] + end) != nil, "not a deflate stream")
        #expect(refusal(header + [2] + end)?.contains("flags") == true)
        // Stored as is (compressed length 0).
        #expect(try PushBundle(decoding: header + [1, 3, 0, 7, 8, 9] + end).dictionary == [7, 8, 9])
    }
}
