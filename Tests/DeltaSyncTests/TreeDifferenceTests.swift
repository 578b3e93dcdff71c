import Testing

@testable import DeltaSync

/// The tree exchange: a client's summary, the server's difference, and the server's tree rebuilt from both.
@Suite struct TreeDifferenceTests {
    /// A random tree: directories up to three deep, files, symlinks, some executable, fixed times.
    static func randomTree(_ generator: inout SeededGenerator, files: Int) -> [ManifestEntry] {
        var directories = [""]
        var entries: [ManifestEntry] = []
        var used: Set<PathKey> = []
        func name(_ prefix: String) -> String { prefix + String(generator.next() % 40) }
        for _ in 0..<(files / 8 + 1) {
            let parent = directories[Int(generator.next() % UInt64(directories.count))]
            guard parent.utf8.count(where: { $0 == 0x2F }) < 2 else { continue }
            let path = RelativePath.join(parent, name("d"))
            guard used.insert(PathKey(path)).inserted else { continue }
            directories.append(path)
            entries.append(ManifestEntry(path: path, kind: .directory, mode: 0o755))
        }
        for _ in 0..<files {
            let parent = directories[Int(generator.next() % UInt64(directories.count))]
            let path = RelativePath.join(parent, name("f"))
            guard used.insert(PathKey(path)).inserted else { continue }
            if generator.next() % 10 == 0 {
                entries.append(ManifestEntry(path: path, kind: .symlink, size: 6, mode: 0o777, symlinkTarget: "target"))
            } else {
                entries.append(ManifestEntry(
                    path: path, kind: .file, size: Int(generator.next() % 100_000),
                    mode: generator.next() % 5 == 0 ? 0o755 : 0o644,
                    digest: FileDigest(high: generator.next(), low: generator.next())))
            }
        }
        return entries
    }

    /// `entries` with about `count` random changes: edits, executable bits, removals, additions, kinds.
    static func mutated(_ entries: [ManifestEntry], _ generator: inout SeededGenerator, count: Int) throws -> Manifest {
        var entries = entries
        for _ in 0..<count where !entries.isEmpty {
            let index = Int(generator.next() % UInt64(entries.count))
            switch generator.next() % 5 {
            case 0 where entries[index].kind == .file:
                entries[index].digest = FileDigest(high: generator.next(), low: generator.next())
            case 1 where entries[index].kind == .file:
                entries[index].mode ^= 0o100
            case 2:
                // Removes the entry and everything under it.
                let removed = entries[index].path + "/"
                let path = entries[index].path
                entries.removeAll { $0.path == path || $0.path.hasPrefix(removed) }
            case 3 where entries[index].kind == .directory:
                let path = entries[index].path + "/new" + String(generator.next() % 1000)
                if !entries.contains(where: { $0.path == path }) {
                    entries.append(ManifestEntry(path: path, kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [1])))
                }
            case 4 where entries[index].kind == .file:
                // A file becomes a directory holding a file.
                let path = entries[index].path
                entries[index] = ManifestEntry(path: path, kind: .directory, mode: 0o755)
                entries.append(ManifestEntry(path: path + "/inner", kind: .file, size: 2, mode: 0o644, digest: FileDigest(of: [2])))
            default:
                break
            }
        }
        return try Manifest(entries: entries)
    }

    /// The server's tree as a client rebuilds it: the first answer, then one more round for folded directories.
    static func rebuilt(server: Manifest, client: Manifest) throws -> (tree: RemoteTree, first: TreeDifference) {
        let summary = try TreeSummary(decoding: TreeSummary(of: client).encoded())
        let first = try TreeDifference(decoding: server.difference(for: summary).encoded())
        var tree = try RemoteTree(local: client, difference: first)
        if !tree.folded.isEmpty {
            let everything = TreeSummary(everythingUnder: tree.folded.keys.map(\.path))
            try tree.unfold(with: TreeDifference(decoding: server.difference(for: TreeSummary(decoding: everything.encoded())).encoded()))
        }
        return (tree, first)
    }

    @Test(arguments: 0..<60 as Range<UInt64>)
    func theServersTreeIsRebuiltExactly(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let files = [0, 1, 5, 40, 300][Int(seed % 5)]
        let base = Self.randomTree(&generator, files: files)
        let server = try Self.mutated(base, &generator, count: Int(generator.next() % 8))
        let client = try Self.mutated(base, &generator, count: Int(generator.next() % 8))
        let (tree, _) = try Self.rebuilt(server: server, client: client)
        #expect(tree.manifest == server)
        #expect(tree.manifest.rootDigest == server.rootDigest)
        #expect(tree.folded.isEmpty)
        // What the push compares is what it would compare against the whole manifest.
        #expect(client.diff(from: tree.manifest) == client.diff(from: server))
    }

    @Test func aOneFileChangeCostsItsDirectoriesNotTheTree() throws {
        var generator = SeededGenerator(seed: 7)
        let base = Self.randomTree(&generator, files: 4_000)
        let client = try Manifest(entries: base)
        var changed = base
        let index = try #require(changed.lastIndex { entry in entry.kind == .file && entry.path.utf8.count(where: { $0 == 0x2F }) == 2 })
        changed[index].digest = FileDigest(high: 1, low: 2)
        let server = try Manifest(entries: changed)
        let summary = TreeSummary(of: client)
        let difference = server.difference(for: summary)
        // The changed file's three directories are listed, with their children, and nothing else.
        #expect(difference.listed.count == 3)
        #expect(difference.entries.contains { $0.path == changed[index].path && $0.digest == FileDigest(high: 1, low: 2) })
        let directories = client.entries.count { $0.kind == .directory } + 1
        #expect(summary.encoded().count <= 10 * directories + 16)
        let answer = difference.encoded().count
        let whole = server.encoded().count
        #expect(answer * 20 < whole, "the answer is \(answer) bytes; the whole manifest \(whole)")
        #expect(try Self.rebuilt(server: server, client: client).tree.manifest == server)

        // An unchanged tree: the root's tag vouches for everything.
        let same = client.difference(for: summary)
        #expect(same.listed.isEmpty && same.entries.isEmpty && same.folded.isEmpty)
        #expect(try RemoteTree(local: client, difference: same).manifest == client)
    }

    @Test func aDirectoryTheClientDoesNotHaveIsNamedNotListed() throws {
        var entries = [ManifestEntry(path: "app.js", kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [1]))]
        let client = try Manifest(entries: entries)
        entries.append(ManifestEntry(path: "node_modules", kind: .directory, mode: 0o755))
        for index in 0..<500 {
            entries.append(ManifestEntry(path: "node_modules/m\(index)", kind: .directory, mode: 0o755))
            entries.append(ManifestEntry(path: "node_modules/m\(index)/index.js", kind: .file, size: 3, mode: 0o644, digest: FileDigest(of: [UInt8(index % 256)])))
        }
        let server = try Manifest(entries: entries)
        let difference = server.difference(for: TreeSummary(of: client))
        #expect(difference.listed == [""])
        #expect(difference.entries.map(\.path) == ["app.js", "node_modules"])
        #expect(difference.folded == [.init(path: "node_modules", digest: server.directoryDigests()["node_modules"]!)])
        let tree = try RemoteTree(local: client, difference: difference)
        #expect(tree.manifest.entries.map(\.path) == ["app.js", "node_modules"])
        #expect(tree.folded.keys.map(\.path) == ["node_modules"])
        #expect(try Self.rebuilt(server: server, client: client).tree.manifest == server)
    }

    @Test func namesThatUnicodeCallsEqualAreTwoDirectories() throws {
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let file = { (path: String) in ManifestEntry(path: path, kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [9])) }
        let client = try Manifest(entries: [ManifestEntry(path: nfd, kind: .directory, mode: 0o755), file(nfd + "/a")])
        let server = try Manifest(entries: [ManifestEntry(path: nfc, kind: .directory, mode: 0o755), file(nfc + "/a")])
        let (tree, first) = try Self.rebuilt(server: server, client: client)
        #expect(first.folded.map(\.path).elementsEqual([nfc]) { $0.utf8.elementsEqual($1.utf8) })
        #expect(tree.manifest == server)
        #expect(client.diff(from: tree.manifest).removed.map { Array($0.path.utf8) } == [Array(nfc.utf8), Array((nfc + "/a").utf8)])
    }

    @Test func anAnswerThatDoesNotAddUpIsRefused() throws {
        var generator = SeededGenerator(seed: 3)
        let base = Self.randomTree(&generator, files: 200)
        let client = try Manifest(entries: base)
        let server = try Self.mutated(base, &generator, count: 5)
        let honest = server.difference(for: TreeSummary(of: client))
        try #require(!honest.entries.isEmpty)

        var lying = honest
        let file = try #require(lying.entries.firstIndex { $0.kind == .file })
        lying.entries[file].digest = FileDigest(high: 9, low: 9)
        #expect(throws: DeltaSyncError.self) { try RemoteTree(local: client, difference: lying) }

        var orphan = honest
        orphan.entries.append(ManifestEntry(path: "zz-nowhere/file", kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [1])))
        #expect(throws: DeltaSyncError.self) { try RemoteTree(local: client, difference: orphan) }

        var otherRoot = honest
        otherRoot.rootDigest = FileDigest(high: 1, low: 1)
        #expect(throws: DeltaSyncError.self) { try RemoteTree(local: client, difference: otherRoot) }
    }

    /// Two different directories whose 64-bit tags happened to be equal: the server leaves the directory out as
    /// the client's, and the root digest shows the rebuilt tree is not the server's.
    @Test func aTagThatVouchesWronglyIsCaughtByTheRootDigest() throws {
        let file = { (path: String, byte: UInt8) in ManifestEntry(path: path, kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [byte])) }
        let directory = ManifestEntry(path: "src", kind: .directory, mode: 0o755)
        let client = try Manifest(entries: [directory, file("src/a", 1)])
        let server = try Manifest(entries: [directory, file("src/a", 2)])
        var summary = TreeSummary(of: client)
        // The client's tag for "src" replaced by the server's: as if the two digests collided in 64 bits.
        let collided = TreeSummary.Tag(path: "src", digest: try #require(server.directoryDigests()["src"]))
        summary.tags = summary.tags.map { $0.path == collided.path ? collided : $0 }
        let difference = server.difference(for: summary)
        #expect(difference.listed == [""])
        #expect(throws: DeltaSyncError.self) { try RemoteTree(local: client, difference: difference) }
    }

    @Test func aTreeThatChangedBetweenTheTwoRoundsIsAConflict() throws {
        let client = try Manifest(entries: [])
        let before = try Manifest(entries: [ManifestEntry(path: "cache", kind: .directory, mode: 0o755)])
        var tree = try RemoteTree(local: client, difference: before.difference(for: TreeSummary(of: client)))
        #expect(tree.folded.count == 1)
        let after = try Manifest(entries: [
            ManifestEntry(path: "cache", kind: .directory, mode: 0o755),
            ManifestEntry(path: "cache/new", kind: .file, size: 1, mode: 0o644, digest: FileDigest(of: [1])),
        ])
        let error = #expect(throws: DeltaSyncError.self) {
            try tree.unfold(with: after.difference(for: TreeSummary(everythingUnder: ["cache"])))
        }
        #expect(error?.code == .conflict)
        // A directory not asked for is refused too.
        let other = try Manifest(entries: [ManifestEntry(path: "cache", kind: .directory, mode: 0o755), ManifestEntry(path: "else", kind: .directory, mode: 0o755)])
        #expect(throws: DeltaSyncError.self) {
            try tree.unfold(with: other.difference(for: TreeSummary(everythingUnder: ["else"])))
        }
    }

    @Test func malformedSummariesAndDifferencesAreRefusedWithWhatIsWrong() throws {
        let summary = TreeSummary(of: try Manifest(entries: [ManifestEntry(path: "d", kind: .directory, mode: 0o755)])).encoded()
        for cut in 0..<summary.count {
            #expect(throws: DeltaSyncError.self) { try TreeSummary(decoding: Array(summary[..<cut])) }
        }
        #expect(throws: DeltaSyncError.self) { try TreeSummary(decoding: summary + [0]) }
        var flagged = summary
        flagged[5] = 2
        let flags = #expect(throws: DeltaSyncError.self) { try TreeSummary(decoding: flagged) }
        #expect(flags?.message.contains("unknown flags") == true)
        // A count that the body cannot hold is refused before anything is reserved for it.
        let lying: [UInt8] = Array("FPTS".utf8) + [1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(throws: DeltaSyncError.self) { try TreeSummary(decoding: lying) }

        var generator = SeededGenerator(seed: 11)
        let server = try Manifest(entries: Self.randomTree(&generator, files: 50))
        let difference = server.difference(for: TreeSummary(of: .empty)).encoded()
        #expect(try TreeDifference(decoding: difference) == server.difference(for: TreeSummary(of: .empty)))
        for cut in stride(from: 0, to: difference.count, by: 7) {
            #expect(throws: DeltaSyncError.self) { try TreeDifference(decoding: Array(difference[..<cut])) }
        }
        let magic = #expect(throws: DeltaSyncError.self) { try TreeDifference(decoding: server.encoded()) }
        #expect(magic?.message.contains("not a FastPush tree difference") == true)
    }
}
