/// The signature store's file form (docs/FORMAT.md, "Signature store"), one file a client appends to:
///
///     "FPSS" · version 1
///     · per record: u32le length · digest[16] · u64le lastUsed · signature (length − 24 bytes, an FPSG signature)
///       · checksum[16]: XXH3-128 of the record's bytes before it
///
/// A record is written whole by one append, so the only damage a crash can do is to leave the last one torn;
/// anything else is the disk's or another program's doing. Either way a decoder keeps the records before the
/// first one that is torn or whose checksum does not match, and reports the rest as damage, for the writer to
/// rebuild the file from what was kept. A later record for a digest replaces an earlier one.
extension SignatureStore {
    static let magic: [UInt8] = Array("FPSS".utf8)
    static let version: UInt8 = 1

    /// What every store file starts with.
    package static var header: [UInt8] { magic + [version] }

    /// The bytes of a record besides its signature: length, digest, lastUsed and checksum.
    static let recordOverhead = 4 + 16 + 8 + 16

    /// The bytes between a record's length and its signature: digest and lastUsed.
    private static let fixedBody = 16 + 8

    /// `entry` as a record of the store file, filed under `digest`: an entry whose bytes are at hand (one this
    /// process stored).
    package static func record(_ entry: Entry, digest: FileDigest) -> [UInt8] {
        guard case .bytes(let signature) = entry.location else {
            preconditionFailure("an entry indexed in the store file is written through encoded()")
        }
        return record(digest: digest, lastUsed: entry.lastUsed, signature: signature)
    }

    /// A record: `signature` filed under `digest`, used at `lastUsed`, sealed by its checksum.
    static func record(digest: FileDigest, lastUsed: UInt64, signature: ArraySlice<UInt8>) -> [UInt8] {
        var writer = ByteWriter(capacity: recordOverhead + signature.count)
        writer.littleEndian(UInt64(fixedBody + signature.count), count: 4)
        writer.bytes(digest.bytes)
        writer.littleEndian(lastUsed, count: 8)
        writer.bytes(signature)
        writer.bytes(FileDigest(of: writer.bytes).bytes)
        return writer.bytes
    }

    /// The whole file: the header, then every entry's record, least recently used first (the order appends keep).
    /// An entry indexed in the old file whose record can no longer be read intact is left out.
    package func encoded() -> [UInt8] {
        var bytes = Self.header
        bytes.reserveCapacity(encodedSize)
        for (digest, entry) in Self.byRecency(entries) {
            guard let signature = encodedSignature(of: entry, digest: digest) else { continue }
            bytes += Self.record(digest: digest, lastUsed: entry.lastUsed, signature: signature)
        }
        return bytes
    }

    /// Decodes a store file: every record before the first torn or damaged one, and what was wrong with the rest
    /// (`nil` when the file is intact). A file with another magic or version keeps nothing; an empty one is an
    /// empty store with nothing wrong.
    package static func decoding(_ bytes: [UInt8]) -> (store: SignatureStore, damage: DeltaSyncError?) {
        var store = SignatureStore()
        guard !bytes.isEmpty else { return (store, nil) }
        guard bytes.count >= header.count, bytes[..<magic.count].elementsEqual(magic) else {
            return (
                store,
                DeltaSyncError(
                    .corrupt, "signature store is not a FastPush signature store (it does not start with \"FPSS\")")
            )
        }
        guard bytes[magic.count] == version else {
            return (
                store,
                DeltaSyncError(
                    .unsupported,
                    "signature store has format version \(bytes[magic.count]); this build reads version \(version)")
            )
        }
        let damage = store.addRecords(bytes[header.count...], at: header.count, isEnd: true, keepingBytes: true).damage
        return (store, damage)
    }

    /// Indexes the records of `bytes`, a piece of the store file from `fileOffset` on where a record starts, without
    /// keeping their bytes: entries read their record from the file (``readFile``) when asked for. Returns how many
    /// bytes the complete records took; a record cut off at the end of the piece is not damage unless `isEnd` (the
    /// file ends there): the caller passes it again with the bytes that follow.
    package mutating func indexRecords(_ bytes: ArraySlice<UInt8>, at fileOffset: Int, isEnd: Bool) -> (
        consumed: Int, damage: DeltaSyncError?
    ) {
        addRecords(bytes, at: fileOffset, isEnd: isEnd, keepingBytes: false)
    }

    /// The length of the record that starts `bytes`, when its length field is there.
    package static func recordLength(at bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var length = 0
        for index in 0..<4 { length |= Int(bytes[bytes.startIndex + index]) << (8 * index) }
        return 4 + length + 16
    }

    /// Adds the records of `bytes`, the part of a store file from `fileOffset` on where a record starts, up to the
    /// first torn or damaged one, holding their bytes or only where they are; returns how many bytes the records
    /// added took, and what was wrong with the rest (`nil` for nothing, or for a record cut off before `isEnd`).
    private mutating func addRecords(_ bytes: ArraySlice<UInt8>, at fileOffset: Int, isEnd: Bool, keepingBytes: Bool)
        -> (consumed: Int, damage: DeltaSyncError?)
    {
        // Room for the records of the usual sizes at once, rather than growing the table a dozen times.
        reserveCapacity(count + bytes.count / 512)
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let consumed = start - bytes.startIndex
            let offset = fileOffset + consumed
            let rest = bytes[start...]
            let claimed = Self.recordLength(at: rest)
            if let claimed, claimed < Self.recordOverhead {
                return (
                    consumed,
                    DeltaSyncError(
                        .corrupt,
                        "signature store is damaged: the record at byte \(offset) claims \(claimed - 20) bytes, fewer than its digest and time"
                    )
                )
            }
            guard let length = claimed, rest.count >= length else {
                // Cut off: whole once the caller passes the bytes that follow, torn where the file ends.
                if !isEnd { return (consumed, nil) }
                return (
                    consumed,
                    DeltaSyncError(
                        .truncated,
                        rest.count < Self.recordOverhead
                            ? "signature store is torn: \(rest.count) bytes at byte \(offset) cannot hold a record"
                            : "signature store is torn: the record at byte \(offset) ends past the end of the file")
                )
            }
            let record = rest.prefix(length)
            guard let (digest, lastUsed, signature) = Self.unsealed(record) else {
                return (
                    consumed,
                    DeltaSyncError(
                        .corrupt, "signature store is damaged: the record at byte \(offset) does not match its checksum")
                )
            }
            let location: Entry.Location = keepingBytes ? .bytes(signature) : .record(offset: offset, length: length)
            insert(Entry(lastUsed: lastUsed, location: location), for: digest)
            start += length
        }
        return (bytes.count, nil)
    }

    /// The digest, time and signature of a whole record, when its checksum matches.
    static func unsealed(_ record: ArraySlice<UInt8>) -> (FileDigest, UInt64, ArraySlice<UInt8>)? {
        let start = record.startIndex
        let checksumStart = record.endIndex - 16
        guard record.count >= recordOverhead,
            record[start..<checksumStart].withUnsafeBytes({ FileDigest(of: $0) })
                == FileDigest(bytes: record[checksumStart...]),
            let digest = FileDigest(bytes: record[(start + 4)..<(start + 20)])
        else { return nil }
        var lastUsed: UInt64 = 0
        for index in 0..<8 { lastUsed |= UInt64(record[start + 20 + index]) << (8 * UInt64(index)) }
        return (digest, lastUsed, record[(start + 4 + fixedBody)..<checksumStart])
    }
}
