import DeltaSync
import Testing

@testable import Plugin

/// Signatures made while a push waits: the files asked for, except content already kept and files that changed
/// since the scan found their digest.
@Suite struct PendingSignaturesTests {
    @Test func signsWhatIsAskedButNotWhatIsKeptOrChangedSinceTheScan() throws {
        let directory = try FileTree.makeTemporaryDirectory(prefix: "fastpush-pending-signatures")
        defer { try? FileTree.removeRecursively(directory) }
        let contents = (0..<3).map { index in (0..<(20 << 10)).map { _ in UInt8.random(in: 0...255) } + [UInt8(index)] }
        for (index, content) in contents.enumerated() { try FileTree.write(content, to: directory + "/file\(index)") }
        let digests = contents.map { FileDigest(of: $0) }
        try FileTree.write(contents[0], to: directory + "/file2")  // changed since its digest was found

        let pending = PendingSignatures(
            files: (0..<3).map { ("file\($0)", digests[$0]) }, in: directory, isKept: { $0 == digests[1] })
        let signed = pending.wait()
        #expect(Set(signed.keys) == [digests[0]], "file1 is kept already; file2 no longer has the content asked for")
        #expect(signed[digests[0]]?.encoded() == (try Signature(file: directory + "/file0").encoded()))
        #expect(pending.wait().count == 1, "waiting again gives the same")
    }
}
