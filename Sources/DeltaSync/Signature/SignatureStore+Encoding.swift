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

    /// `entry` as a record of the store file, filed under `digest`.
    package static func record(_ entry: Entry, digest: FileDigest) -> [UInt8] {
        var writer = ByteWriter(capacity: entry.recordSize)
        writer.littleEndian(UInt64(fixedBody + entry.encodedSignature.count), count: 4)
        writer.bytes(digest.bytes)
        writer.littleEndian(entry.lastUsed, count: 8)
        writer.bytes(entry.encodedSignature)
        writer.bytes(FileDigest(of: writer.bytes).bytes)
        return writer.bytes
    }

    /// The whole file: the header, then every entry's record, least recently used first (the order appends keep).
    package func encoded() -> [UInt8] {
        var bytes = Self.header
        bytes.reserveCapacity(encodedSize)
        for (digest, entry) in Self.byRecency(entries) { bytes += Self.record(entry, digest: digest) }
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
        let damage = store.decodeRecords(bytes[header.count...], at: header.count)
        return (store, damage)
    }

    /// Adds the records of `bytes`, the part of a store file from `fileOffset` on, where a record starts (after
    /// the header, or where the file ended when it was last read), up to the first torn or damaged one; returns
    /// what was wrong with the rest, or `nil`.
    package mutating func decodeRecords(_ bytes: ArraySlice<UInt8>, at fileOffset: Int) -> DeltaSyncError? {
        // Room for the records of the usual sizes at once, rather than growing the table a dozen times.
        reserveCapacity(count + bytes.count / 512)
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let offset = fileOffset + start - bytes.startIndex
            guard bytes.endIndex - start >= 4 + Self.fixedBody + 16 else {
                return DeltaSyncError(
                    .truncated,
                    "signature store is torn: \(bytes.endIndex - start) bytes at byte \(offset) cannot hold a record")
            }
            var length = 0
            for index in 0..<4 { length |= Int(bytes[start + index]) << (8 * index) }
            guard length >= Self.fixedBody else {
                return DeltaSyncError(
                    .corrupt,
                    "signature store is damaged: the record at byte \(offset) claims \(length) bytes, fewer than its digest and time"
                )
            }
            let checksumStart = start + 4 + length
            guard checksumStart <= bytes.endIndex - 16 else {
                return DeltaSyncError(
                    .truncated, "signature store is torn: the record at byte \(offset) ends past the end of the file")
            }
            let sealed = bytes[start..<checksumStart]
            guard sealed.withUnsafeBytes({ FileDigest(of: $0) }) == FileDigest(bytes: bytes[checksumStart..<checksumStart + 16])
            else {
                return DeltaSyncError(
                    .corrupt, "signature store is damaged: the record at byte \(offset) does not match its checksum")
            }
            let digestStart = start + 4
            guard let digest = FileDigest(bytes: bytes[digestStart..<digestStart + 16]) else {
                preconditionFailure("16 bytes always make a digest")
            }
            var lastUsed: UInt64 = 0
            for index in 0..<8 { lastUsed |= UInt64(bytes[digestStart + 16 + index]) << (8 * UInt64(index)) }
            insert(
                Entry(lastUsed: lastUsed, encodedSignature: bytes[(start + 4 + Self.fixedBody)..<checksumStart]),
                for: digest)
            start = checksumStart + 16
        }
        return nil
    }
}
