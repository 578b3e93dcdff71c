import DeltaSync
import Glibc
import Testing

@testable import Plugin

/// The signature store across pushes, against a real controller: a push without a cache fills it in one file, the
/// next edit of a large file is then a delta in one request, and a damaged record is never a delta's basis.
@Suite(.serialized) struct SignatureStorePushTests {
    static func storePath(_ harness: ControllerHarness) -> String {
        harness.cacheEnvironment["FASTPUSH_CACHE_DIR"]! + "/signature-store"
    }

    /// Where the record filed under `digest` starts and ends in the store file `bytes`.
    static func record(of digest: FileDigest, in bytes: [UInt8]) -> Range<Int>? {
        var start = SignatureStore.header.count
        while start + 20 <= bytes.count {
            let length = (0..<4).reduce(0) { $0 | Int(bytes[start + $1]) << (8 * $1) }
            let end = start + 4 + length + 16
            if FileDigest(bytes: bytes[(start + 4)..<(start + 20)]) == digest { return start..<end }
            start = end
        }
        return nil
    }

    @Test func aPushWithoutACacheKeepsEveryLargeFilesSignatureInOneFile() async throws {
        try await ControllerHarness.with { harness in
            let (idle, lines) = try await harness.push { $0.verbose = true }
            #expect(idle.requests == 1, "the server has the app already: its manifest only")
            let local = try harness.localManifest()
            let large = local.entries.filter { $0.kind == .file && $0.size >= PushSession.smallestFileWorthASignature }
            #expect(!large.isEmpty)
            #expect(
                lines.contains { $0.hasPrefix("kept \(Set(large.compactMap(\.digest)).count) signatures in ") },
                "\(lines)")
            let (store, damage) = SignatureStore.decoding(try FileTree.read(Self.storePath(harness)))
            #expect(damage == nil)
            #expect(
                Set(store.entries.keys) == Set(large.compactMap(\.digest)),
                "every file of 8 KiB or more, nothing smaller")
            for entry in large {
                #expect(
                    store.signature(for: entry.digest!)?.encoded()
                        == (try Signature(
                            file: harness.local + "/" + entry.path, parameters: .forKeptSignature(size: entry.size))
                            .encoded()),
                    "the fine blocks of a signature that stays on the client")
            }
            #expect(
                access(harness.cacheEnvironment["FASTPUSH_CACHE_DIR"]! + "/signatures", F_OK) != 0,
                "no file per signature")

            try ExampleApp.edit(at: harness.local)
            let (edit, editLines) = try await harness.push()
            #expect(edit.succeeded)
            #expect(edit.requests == 1, "the bundle alone: the model's signature was kept")
            #expect(
                editLines.contains {
                    $0.hasPrefix("[MOD]  data/model.bin (4.0 MiB, sent ") && $0.hasSuffix(" as a delta)")
                }, "\(editLines)")
            #expect(
                try FileTree.read(harness.container + "/data/model.bin")
                    == FileTree.read(harness.local + "/data/model.bin"))
            let model = try #require(try harness.localManifest()["data/model.bin"]?.digest)
            #expect(
                SignatureStore.decoding(try FileTree.read(Self.storePath(harness))).store.contains(model),
                "the new content's signature, kept for the next edit")
        }
    }

    /// A record damaged on disk (a flipped bit in the model's signature) is not used: the push asks the server for
    /// the signature, as without a cache, sends a correct delta, and the store is rebuilt without the damage.
    @Test func aDamagedRecordIsNeverABasisAndTheStoreIsRebuilt() async throws {
        try await ControllerHarness.with { harness in
            _ = try await harness.push()
            let model = try #require(try harness.localManifest()["data/model.bin"]?.digest)
            var bytes = try FileTree.read(Self.storePath(harness))
            let record = try #require(Self.record(of: model, in: bytes))
            bytes[record.lowerBound + 200] ^= 0x04  // inside the signature's block sums
            try FileTree.write(bytes, to: Self.storePath(harness))
            #expect(SignatureStore.decoding(bytes).damage != nil)

            try ExampleApp.edit(at: harness.local)
            let (outcome, lines) = try await harness.push()
            #expect(outcome.succeeded)
            #expect(outcome.requests == 2, "the model's signature from the server, then the bundle")
            #expect(
                lines.contains {
                    $0.hasPrefix("[MOD]  data/model.bin (4.0 MiB, sent ") && $0.hasSuffix(" as a delta)")
                }, "\(lines)")
            #expect(
                try FileTree.read(harness.container + "/data/model.bin")
                    == FileTree.read(harness.local + "/data/model.bin"))
            #expect(try harness.containerManifest().rootDigest == harness.localManifest().rootDigest)

            let (rebuilt, damage) = SignatureStore.decoding(try FileTree.read(Self.storePath(harness)))
            #expect(damage == nil, "rebuilt by the push's write")
            #expect(rebuilt.signature(for: model) != nil, "the server's signature of the old model, kept intact")
        }
    }
}
