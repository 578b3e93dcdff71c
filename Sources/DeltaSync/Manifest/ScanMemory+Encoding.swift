/// The scan memory's file form (docs/FORMAT.md, "Scan memory"), which lets a scanner in a new process start where
/// the last scan of the tree stopped: it reads no file, and lists no directory, that did not change since.
///
///     "FPSM" · version 1 · varint rootLength · root · ignoreRules[16]
///     · varint manifestLength · manifest (its binary form: "FPMF" ...)
///     · per manifest entry, in order: u8 0 | u8 1 · identity
///     · per directory entry, in order: digest[16]
///     · varint listingCount · per listing, in path order: varint directory (its position + 1; 0 for the root)
///       · identity · varint childCount · per child, in increasing position: varint (position − previous − 1)
///     · checksum[16]: XXH3-128 of every byte before it
///     identity: varint device · varint inode · varint size · zigzag-varint mtime(ns) · zigzag-varint ctime(ns)
///       · varint mode
///
/// The file is only a hint, but a wrong one would push a wrong file, so a decoder trusts nothing it cannot check: a
/// file that is truncated, has a bad checksum, another magic or version, describes another directory or was made
/// under other ignore rules is refused whole. Only what the scan that wrote it vouched for is in it (entries and
/// directories that had settled), so git's racy-clean rule holds across runs as within one. The manifest is kept
/// in its own binary form so that its digest names it: a client compares it with the digest of the manifest it
/// last pushed, and uses this one if they are equal instead of decoding that one too.
extension ScanMemory {
    static var magic: [UInt8] { Array("FPSM".utf8) }
    static var version: UInt8 { 1 }

    /// The file form, for the tree at `root` (its absolute path, checked on decoding) scanned under `ignoreRules`,
    /// and the manifest's binary form within it.
    func encoded(root: String, ignoreRules: IgnoreRules) -> (bytes: [UInt8], manifest: [UInt8]) {
        let entries = manifest.entries
        let manifestBytes = manifest.encoded()
        var writer = ByteWriter(capacity: manifestBytes.count + 40 * entries.count + root.utf8.count + 64)
        writer.bytes(Self.magic)
        writer.byte(Self.version)
        writer.lengthPrefixed(Array(root.utf8))
        writer.bytes(ignoreRules.fingerprint.bytes)
        writer.lengthPrefixed(manifestBytes)
        for identity in identities {
            if let identity {
                writer.byte(1)
                Self.write(identity, to: &writer)
            } else {
                writer.byte(0)
            }
        }
        let digests = manifest.directoryDigests()
        for entry in entries where entry.kind == .directory {
            writer.bytes(digests[PathKey(entry.path)]!.bytes)
        }
        // A listing names its directory by position: one whose directory is not in the manifest is left out.
        let ordered = listings.compactMap { directory, listing in
            (directory.path.isEmpty ? 0 : manifest.position(of: directory.path).map { $0 + 1 }).map { ($0, listing) }
        }.sorted { $0.0 < $1.0 }
        writer.varint(ordered.count)
        for (directory, listing) in ordered {
            writer.varint(directory)
            Self.write(listing.identity, to: &writer)
            writer.varint(listing.children.count)
            var previous = -1
            for child in listing.children.sorted() {
                writer.varint(child - previous - 1)
                previous = child
            }
        }
        writer.bytes(FileDigest(of: writer.bytes).bytes)
        return (writer.bytes, manifestBytes)
    }

    /// Decodes a scan memory written for the tree at `root` under `ignoreRules`, with the digest of its manifest's
    /// binary form; throws when the bytes are not one, intact, for that tree and those rules.
    static func decoded(
        _ bytes: [UInt8], root: String, ignoreRules: IgnoreRules, maximumEntries: Int = 10_000_000
    ) throws(DeltaSyncError) -> (memory: ScanMemory, manifestDigest: FileDigest) {
        guard bytes.count >= 16 else {
            throw DeltaSyncError(.truncated, "scan memory is truncated: \(bytes.count) bytes cannot hold its checksum")
        }
        let body = Array(bytes[..<(bytes.count - 16)])
        guard FileDigest(of: body).bytes.elementsEqual(bytes[(bytes.count - 16)...]) else {
            throw DeltaSyncError(.corrupt, "scan memory is corrupt: its checksum does not match its content")
        }
        var reader = ByteReader(MemorySource(body), what: "scan memory")
        try reader.header(magic: Self.magic, version: Self.version, hint: "it is rebuilt by the next scan")
        let storedRoot = try reader.lengthPrefixed("root", limit: 1 << 16)
        guard storedRoot.elementsEqual(root.utf8) else {
            throw DeltaSyncError(.invalidArgument, "scan memory describes another directory than \(root)")
        }
        guard try reader.bytes("ignore rules", count: 16).elementsEqual(ignoreRules.fingerprint.bytes) else {
            throw DeltaSyncError(.invalidArgument, "scan memory was made under other ignore rules (.cfignore changed)")
        }
        let manifestBytes = try reader.lengthPrefixed("manifest", limit: body.count)
        let (entries, rootDigest) = try Manifest.fields(
            of: manifestBytes, what: "scan memory's manifest", hint: "it is rebuilt by the next scan",
            maximumEntries: maximumEntries)

        var identities: [Identity?] = []
        identities.reserveCapacity(entries.count)
        for _ in entries {
            switch try reader.byte("identity marker") {
            case 0: identities.append(nil)
            case 1: identities.append(try Self.readIdentity(from: &reader))
            default: throw reader.corrupt("an identity marker is neither 0 nor 1")
            }
        }
        var directoryDigests: [FileDigest] = []
        for entry in entries where entry.kind == .directory {
            guard let digest = FileDigest(bytes: try reader.bytes("directory digest", count: 16)) else {
                throw reader.truncated("directory digest")
            }
            directoryDigests.append(digest)
        }
        let manifest: Manifest
        do throws(DeltaSyncError) {
            manifest = try Manifest(ordered: entries, directoryDigests: directoryDigests, rootDigest: rootDigest)
        } catch {
            throw DeltaSyncError(.corrupt, "scan memory is corrupt: \(error.message)")
        }

        var listings: [PathKey: Listing] = [:]
        let listingCount = try reader.count("listing count", limit: entries.count + 1)
        var previousDirectory = -1
        for _ in 0..<listingCount {
            let directory = try reader.count("listing's directory", limit: entries.count)
            guard directory > previousDirectory, directory == 0 || entries[directory - 1].kind == .directory else {
                throw reader.corrupt("a listing is not of a directory, or out of order")
            }
            previousDirectory = directory
            let identity = try Self.readIdentity(from: &reader)
            let childCount = try reader.count("child count", limit: entries.count)
            let path = directory == 0 ? "" : entries[directory - 1].path
            var children: [Int] = []
            children.reserveCapacity(childCount)
            var previous = -1
            for _ in 0..<childCount {
                let child = previous + 1 + (try reader.count("child gap", limit: entries.count))
                guard child < entries.count else { throw reader.corrupt("a listing's child is past the last entry") }
                // A scan looks a child up by its name in the listed directory: it must be in that directory.
                guard RelativePath.parent(of: entries[child].path).utf8.elementsEqual(path.utf8) else {
                    throw reader.corrupt("a listing's child is not in its directory")
                }
                children.append(child)
                previous = child
            }
            listings[PathKey(path)] = Listing(identity: identity, children: children)
        }
        guard try reader.atEnd() else { throw reader.corrupt("unexpected bytes after the last listing") }
        return (ScanMemory(manifest: manifest, identities: identities, listings: listings), FileDigest(of: manifestBytes))
    }

    private static func write(_ identity: Identity, to writer: inout ByteWriter) {
        writer.varint(identity.status.device)
        writer.varint(identity.status.inode)
        writer.varint(identity.status.size)
        writer.signedVarint(identity.status.modificationTime)
        writer.signedVarint(identity.status.changeTime)
        writer.varint(UInt64(identity.mode))
    }

    private static func readIdentity<Source>(from reader: inout ByteReader<Source>) throws(DeltaSyncError) -> Identity {
        let status = StatCache<FileDigest>.Identity(
            device: try reader.varint("device"), inode: try reader.varint("inode"),
            size: try reader.count("size", limit: Int.max), modificationTime: try reader.signedVarint("modification time"),
            changeTime: try reader.signedVarint("change time"))
        let mode = try reader.varint("mode")
        guard mode <= UInt64(UInt32.max) else { throw reader.corrupt("a mode is out of range") }
        return Identity(status: status, mode: UInt32(mode))
    }
}
