/// The signatures a client keeps between pushes, keyed by the XXH3-128 of the content each describes, with the
/// time each was last stored or in use: the content of the client's signature store file (docs/FORMAT.md,
/// "Signature store"; ``SignatureStore/decoding(_:)`` reads it).
///
/// Entries hold signatures in their encoded form and are decoded only when one is asked for, so that loading a
/// store of thousands costs a read and a checksum per entry, not a decoding. A stored signature is handed out
/// only when it decodes and describes the content it is filed under; anything else counts as absent.
package struct SignatureStore: Sendable {
    /// One stored signature.
    package struct Entry: Sendable {
        /// When the entry was stored or last found in use, in seconds since 1970-01-01 UTC.
        package var lastUsed: UInt64
        /// Where the signature's encoding (docs/FORMAT.md, "Signature") is.
        let location: Location

        /// Where an entry's signature is: its bytes (stored by this process, or part of a store decoded from
        /// bytes in memory, which every entry shares rather than holding a copy), or the record of the store
        /// file at `offset`, `length` bytes long with its checksum, read when asked for.
        enum Location: Sendable {
            case bytes(ArraySlice<UInt8>)
            case record(offset: Int, length: Int)
        }

        /// An entry for an encoded signature, stamped as used at `lastUsed`.
        package init(lastUsed: UInt64, encodedSignature: [UInt8]) {
            self.init(lastUsed: lastUsed, location: .bytes(encodedSignature[...]))
        }

        init(lastUsed: UInt64, location: Location) {
            self.lastUsed = lastUsed
            self.location = location
        }

        /// Its size as a record of the store file.
        package var recordSize: Int {
            switch location {
            case .bytes(let signature): SignatureStore.recordOverhead + signature.count
            case .record(_, let length): length
            }
        }
    }

    /// Reads `count` bytes of the store file at an offset, for entries indexed in it (``Entry/Location/record(offset:length:)``);
    /// `nil` when it cannot.
    package typealias FileReading = @Sendable (_ offset: Int, _ count: Int) -> [UInt8]?

    /// How entries indexed in the store file are read; `nil` for a store that holds its signatures' bytes.
    package var readFile: FileReading?

    /// Entries by the digest of the content their signature describes.
    package private(set) var entries: [FileDigest: Entry] = [:]

    /// An empty store.
    package init() {}

    /// The number of entries.
    package var count: Int { entries.count }

    /// Whether a signature is filed under `digest` (it may still fail to decode: see ``signature(for:)``).
    package func contains(_ digest: FileDigest) -> Bool { entries[digest] != nil }

    /// The signature of the content whose XXH3-128 is `digest`, or `nil` when there is none or what is filed under
    /// it does not decode to a signature of that content.
    package func signature(for digest: FileDigest) -> Signature? {
        guard let entry = entries[digest], let bytes = encodedSignature(of: entry, digest: digest),
            let signature = try? Signature(decoding: Array(bytes)), signature.fileDigest == digest
        else { return nil }
        return signature
    }

    /// The encoded signature of `entry`, filed under `digest`: read from the store file when it was indexed there,
    /// and then only if its record is still intact and still the one for `digest` (`nil` otherwise).
    func encodedSignature(of entry: Entry, digest: FileDigest) -> ArraySlice<UInt8>? {
        switch entry.location {
        case .bytes(let bytes):
            return bytes
        case .record(let offset, let length):
            guard let record = readFile?(offset, length), record.count == length,
                let (filed, _, signature) = Self.unsealed(record[...]), filed == digest
            else { return nil }
            return signature
        }
    }

    /// Files `signature` under its file digest, replacing what was there; returns the entry.
    @discardableResult
    package mutating func insert(_ signature: Signature, lastUsed: UInt64) -> Entry {
        let entry = Entry(lastUsed: lastUsed, encodedSignature: signature.encoded())
        entries[signature.fileDigest] = entry
        return entry
    }

    /// Files an already encoded signature under `digest`; the decoder's way in.
    mutating func insert(_ entry: Entry, for digest: FileDigest) {
        entries[digest] = entry
    }

    /// Makes room for `count` entries in all.
    mutating func reserveCapacity(_ count: Int) { entries.reserveCapacity(count) }

    /// The size of the store file that holds exactly these entries.
    package var encodedSize: Int {
        entries.values.reduce(Self.header.count) { $0 + $1.recordSize }
    }

    /// Keeps the most recently used entries whose records, with the file's header, fit in `byteCount` bytes, and
    /// drops the rest. Entries whose digest is in `inUse` (content the caller knows a server holds now) count as
    /// used at `now`.
    package mutating func evict(toFit byteCount: Int, inUse: Set<FileDigest>, now: UInt64) {
        for digest in inUse where entries[digest] != nil {
            entries[digest]!.lastUsed = max(entries[digest]!.lastUsed, now)
        }
        var size = Self.header.count
        var kept: [FileDigest: Entry] = [:]
        for (digest, entry) in Self.byRecency(entries).reversed() {
            size += entry.recordSize
            guard size <= byteCount else { break }
            kept[digest] = entry
        }
        entries = kept
    }

    /// Entries least recently used first; entries used at the same second in digest order, so that one store
    /// always encodes alike.
    static func byRecency(_ entries: [FileDigest: Entry]) -> [(digest: FileDigest, entry: Entry)] {
        entries.map { (digest: $0.key, entry: $0.value) }.sorted {
            ($0.entry.lastUsed, $0.digest) < ($1.entry.lastUsed, $1.digest)
        }
    }
}
