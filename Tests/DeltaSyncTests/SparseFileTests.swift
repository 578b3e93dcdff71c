import Glibc
import Testing

@testable import DeltaSync

/// A sparse file patched by a few bytes stays sparse on the server: the rebuilt file has holes where its zeros
/// are, instead of every byte of its size allocated.
@Suite struct SparseFileTests {
    static let size = 256 << 20
    /// Where the data is; the rest of the file is holes.
    static let extents = [0, 100 << 20, size - (64 << 10)]

    /// A file of ``size`` bytes made of holes but for 64 KiB of seeded bytes at each of ``extents``.
    static func makeSparse(at path: String, seed: UInt64) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        #expect(ftruncate(descriptor, off_t(size)) == 0)
        for (index, offset) in extents.enumerated() {
            let bytes = SeededGenerator.bytes(seed: seed + UInt64(index), count: 64 << 10)
            #expect(bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset)) } == bytes.count)
        }
    }

    static func allocatedBytes(_ path: String) throws -> Int {
        Int(try SystemCall.lstat(path).st_blocks) * 512
    }

    @Test func aPatchedSparseFileKeepsItsHoles() throws {
        let server = try TemporaryDirectory()
        let local = try TemporaryDirectory()
        try Self.makeSparse(at: server.file("disk.img"), seed: 70)
        try Self.makeSparse(at: local.file("disk.img"), seed: 70)
        // A few bytes change in the middle extent.
        let descriptor = open(local.file("disk.img"), O_WRONLY)
        #expect(pwrite(descriptor, "patched", 7, off_t(Self.extents[1] + 1000)) == 7)
        close(descriptor)
        let serverAllocated = try Self.allocatedBytes(server.file("disk.img"))
        #expect(serverAllocated < 4 << 20, "the test's basis is sparse on this file system")

        let signature = try Signature(file: server.file("disk.img"))
        let (summary, sink) = try Delta.make(
            signature: signature, from: try FileReader(path: local.file("disk.img")), to: MemorySink())
        #expect(summary.literalBytes < 64 << 10)
        let expected = try FileDigest(file: local.file("disk.img"))
        let bundle = PushBundle(operations: [
            .file(path: "disk.img", expected: .file(signature.fileDigest), mode: 0o644, delta: sink.bytes)
        ])
        _ = try BundleApplier(root: server.path).apply(bundle)

        #expect(try FileDigest(file: server.file("disk.img")) == expected)
        #expect(try SystemCall.lstat(server.file("disk.img")).st_size == off_t(Self.size))
        let allocated = try Self.allocatedBytes(server.file("disk.img"))
        #expect(allocated < 4 << 20, "\(allocated) bytes allocated for 192 KiB of data in a \(Self.size)-byte file")
    }

    @Test func zerosAtTheEndStayAHoleAndTheSizeIsExact() throws {
        let directory = try TemporaryDirectory()
        var bytes = [UInt8](repeating: 0, count: 3 << 20)
        bytes[10] = 1
        bytes[(1 << 20) + 4095] = 2  // the last byte of a block: that block is written, its neighbours are not
        let writer = try AtomicFileWriter(path: directory.file("tail"))
        try bytes.withBytes { (buffer) throws(DeltaSyncError) in try writer.write(buffer) }
        try writer.commit()
        #expect(try FileTree.read(directory.file("tail")) == bytes)
        #expect(try Self.allocatedBytes(directory.file("tail")) <= 64 << 10)
    }
}
