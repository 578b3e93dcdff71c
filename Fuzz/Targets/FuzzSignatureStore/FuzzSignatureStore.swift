import DeltaSync
import FuzzSupport

/// One input: any bytes as a client's signature store file (docs/FORMAT.md, section 8), decoded as it is and again
/// sealed as one record after a valid header (filed under the digest the bytes claim if they decode as a signature,
/// else under their own), so that the fuzzer reaches what lies behind the record checksum.
///
/// The decoder must keep or refuse without crashing; what it keeps must survive a round trip (the same entries,
/// encoded alike, nothing damaged), and a signature it hands out must describe the content it is filed under.
func fuzzSignatureStore(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    let digest = (try? Signature(decoding: bytes))?.fileDigest ?? FileDigest(of: bytes)
    let sealed =
        SignatureStore.header + SignatureStore.record(.init(lastUsed: 1, encodedSignature: bytes), digest: digest)
    for candidate in [bytes, sealed] {
        let (store, _) = SignatureStore.decoding(candidate)
        for digest in store.entries.keys {
            if let signature = store.signature(for: digest) {
                precondition(signature.fileDigest == digest, "a signature handed out for other content")
            }
        }
        let encoded = store.encoded()
        let (again, damage) = SignatureStore.decoding(encoded)
        precondition(
            damage == nil && again.count == store.count && again.encoded() == encoded,
            "a decoded signature store does not survive a round trip")
        let indexed = indexedInPieces(candidate, piece: 1 + (candidate.first.map(Int.init) ?? 0) % 97)
        precondition(
            indexed.count == store.count && indexed.encoded() == encoded,
            "indexing the file a piece at a time finds other records than decoding it whole")
    }
    return 0
}

/// The store indexed as the client indexes its file: `piece` bytes at a time (more when a record needs them),
/// its records read back from `bytes` when asked for.
func indexedInPieces(_ bytes: [UInt8], piece: Int) -> SignatureStore {
    let header = SignatureStore.header.count
    guard bytes.count >= header, SignatureStore.decoding(Array(bytes[..<header])).damage == nil else {
        return SignatureStore.decoding(bytes).store
    }
    var store = SignatureStore()
    store.readFile = { offset, count in offset + count <= bytes.count ? Array(bytes[offset..<(offset + count)]) : nil }
    var offset = header
    var length = piece
    while offset < bytes.count {
        let end = min(bytes.count, offset + length)
        let (consumed, damage) = store.indexRecords(bytes[offset..<end], at: offset, isEnd: end == bytes.count)
        offset += consumed
        if damage != nil || end == bytes.count { break }
        length = consumed == 0 ? max(length * 2, SignatureStore.recordLength(at: bytes[offset..<end]) ?? 0) : piece
    }
    return store
}

@main enum FuzzSignatureStoreMain {
    static func main() { runFuzzer(fuzzSignatureStore) }
}
