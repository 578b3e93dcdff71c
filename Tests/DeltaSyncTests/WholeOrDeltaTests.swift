import Testing

@testable import DeltaSync

/// A changed file travels as a delta against the server's version or whole, whichever is smaller, and the
/// whole form keeps the delta's precondition: the server still checks it has the file being replaced.
@Suite struct WholeOrDeltaTests {
    let local: TemporaryDirectory
    let server: TemporaryDirectory

    init() throws {
        local = try TemporaryDirectory()
        server = try TemporaryDirectory()
    }

    /// What pushing one file that is `before` on the server and `after` here planned and sent.
    struct Push {
        var item: PushPlanner.Item
        var delta: [UInt8]
    }

    /// Plans the push of `after` over the server's `before` (with the server's signature of it, as the client
    /// has after a first push), checks the bundle is no larger than the same push with the file whole, applies
    /// it and checks the server has `after`.
    func push(_ before: [UInt8], _ after: [UInt8], _ label: String = "") throws -> Push {
        let comment = Comment(rawValue: label)
        try FileTree.write(before, to: server.file("f"))
        try FileTree.write(after, to: local.file("f"))
        let remote = try manifest(server)
        let plan = try PushPlanner(localRoot: local.path).plan(
            local: manifest(local), remote: remote, signatures: ["f": Signature(file: server.file("f"))])
        let item = try #require(plan.items.only, comment)
        let operation = try #require(plan.bundle.operations.only, comment)
        let file: (expected: EntryState, mode: UInt32, delta: [UInt8])? =
            if case .file(_, let expected, let mode, let delta) = operation { (expected, mode, delta) } else { nil }
        let (expected, mode, delta) = try #require(file, comment)
        #expect(expected == .file(FileDigest(of: before)), "\(label) the server's version is the precondition")
        #expect(item.sentBytes == delta.count, comment)
        #expect(item.fileSize == after.count, comment)
        #expect(delta.count <= Self.wholeForm(after), "\(label) never more than the file whole")
        #expect((try Delta.basisSize(of: delta) == 0) == (item.form == .whole), comment)

        let bundle = plan.bundle.encoded()
        let wholeBundle = PushBundle(operations: [
            .file(path: "f", expected: expected, mode: mode, delta: Self.whole(after))
        ])
        #expect(bundle.count <= wholeBundle.encoded().count, comment)
        _ = try BundleApplier(root: server.path).apply(PushBundle(decoding: bundle))
        #expect(try FileTree.read(server.file("f")) == after, comment)
        return Push(item: item, delta: delta)
    }

    func manifest(_ tree: TemporaryDirectory) throws -> Manifest {
        var scanner = try TreeScanner(root: tree.path)
        return try scanner.scan().manifest
    }

    static func whole(_ bytes: [UInt8]) -> [UInt8] { Delta.make(signature: Signature(bytes: []), bytes: bytes).delta }
    static func wholeForm(_ bytes: [UInt8]) -> Int { whole(bytes).count }

    @Test func aFileRewrittenThroughoutTravelsWhole() throws {
        // Smaller than the file raw, the delta was kept before; whole it is smaller still.
        let before = SeededGenerator.text(seed: 1, lines: 600)
        let after = SeededGenerator.text(seed: 2, lines: 600)
        let pushed = try push(before, after)
        #expect(pushed.item.form == .whole)
        #expect(pushed.delta.count == Self.wholeForm(after))
        #expect(pushed.delta.count < after.count / 2, "the whole form is deflated")
    }

    @Test func aFileOfAFewBytesTravelsWhole() throws {
        let pushed = try push(Array("v1\n".utf8), Array("v2\n".utf8))
        #expect(pushed.item.form == .whole)
        #expect(pushed.delta.count == Self.wholeForm(Array("v2\n".utf8)))
    }

    @Test func anEmptiedFileAndAFilledOneTravelWhole() throws {
        let text = SeededGenerator.text(seed: 3, lines: 300)
        let emptied = try push(text, [])
        #expect(emptied.item.form == .whole)
        #expect(emptied.delta.count == Self.wholeForm([]))
        let filled = try push([], text)
        #expect(filled.item.form == .whole)
    }

    @Test func aLargeFileWithAOneLineChangeStillTravelsAsADelta() throws {
        let before = SeededGenerator.text(seed: 4, lines: 60_000)
        var after = before
        let middle = after[(after.count / 2)...].firstIndex(of: UInt8(ascii: "\n"))! + 1
        after.insert(contentsOf: Array("    print(value) // added\n".utf8), at: middle)
        let pushed = try push(before, after)
        #expect(pushed.item.form == .delta)
        // What it cost before the whole form was considered: the delta against the signature, unchanged.
        #expect(pushed.delta.count == Delta.make(signature: Signature(bytes: before), bytes: after).delta.count)
        #expect(pushed.delta.count < 2048, "\(pushed.delta.count) bytes for one line of \(after.count)")
        #expect(pushed.delta.count * 50 < Self.wholeForm(after))
    }

    @Test func theWholeFormIsRefusedWhenTheServersFileChanged() throws {
        let before = Array("body { color: red; }\n".utf8)
        try FileTree.write(before, to: server.file("f"))
        try FileTree.write(Array("body { color: blue; }\n".utf8), to: local.file("f"))
        let plan = try PushPlanner(localRoot: local.path).plan(
            local: manifest(local), remote: manifest(server), signatures: ["f": Signature(file: server.file("f"))])
        #expect(plan.items.only?.form == .whole)
        try FileTree.write(Array("body { color: green; }\n".utf8), to: server.file("f"))
        let error = Result { () throws(DeltaSyncError) in try BundleApplier(root: server.path).apply(plan.bundle) }
            .failure
        #expect(error?.code == .conflict)
        #expect(try FileTree.read(server.file("f")) == Array("body { color: green; }\n".utf8))
    }

    @Test(arguments: 0..<24) func neverMoreThanTheFileWhole(seed: UInt64) throws {
        var generator = SeededGenerator(seed: 1000 + seed)
        let sizes = [0, 1, 5, 47, 300, 5_000, 40_000, 300_000]
        let lines = sizes[Int(generator.next() % UInt64(sizes.count))] / 40
        let before = generator.next() % 3 == 0 ? generator.bytes(lines * 40) : generator.text(lines: lines)
        var after = before
        switch seed % 6 {
        case 0: after = generator.text(lines: max(1, lines))  // rewritten
        case 1: after.append(contentsOf: generator.text(lines: 1))  // appended
        case 2: after = Array(after.prefix(after.count / 2)) + [0x0A]  // truncated
        case 3:  // inserted
            after.insert(contentsOf: generator.bytes(1 + Int(generator.next() % 600)), at: after.count / 3)
        case 4: after = Array(after.reversed()) + [1]  // every block moved
        default:  // a few scattered edits
            for _ in 0..<5 where !after.isEmpty { after[Int(generator.next() % UInt64(after.count))] ^= 0x20 }
            after.append(0x0A)
        }
        _ = try push(before, after, "seed \(seed): \(before.count) -> \(after.count) bytes")
    }

    @Test func theSmallestWholeFormIsALowerBound() {
        for size in [0, 1, 47, 1_032, 100_000, 1 << 20, 3 << 20 + 5] {
            for (kind, bytes) in [
                ("zeros", [UInt8](repeating: 0, count: size)),
                ("text", Array(SeededGenerator.text(seed: 5, lines: size / 30 + 1).prefix(size))),
                ("random", SeededGenerator.bytes(seed: 6, count: size)),
            ] {
                #expect(
                    DeltaFormat.smallestWholeDelta(targetSize: size) <= Self.wholeForm(bytes),
                    "\(size) bytes of \(kind)")
            }
        }
    }
}

extension Collection {
    /// The one element, or `nil` when there are none or several.
    fileprivate var only: Element? { count == 1 ? first : nil }
}
