import Testing

@testable import DeltaSync

/// The signature store's file form: what is stored comes back as it was, and a torn or damaged file gives back
/// only the records before the damage, whole and checked, never a damaged one.
@Suite struct SignatureStoreTests {
    /// Three signatures of different sizes and parameters, stored at times 10, 20 and 30.
    let signatures = [
        Signature(bytes: SeededGenerator.text(seed: 1, lines: 200)),
        Signature(bytes: SeededGenerator.bytes(seed: 2, count: 20_000)),
        Signature(
            bytes: SeededGenerator.bytes(seed: 3, count: 9_000),
            parameters: try! SignatureParameters(blockSize: 64, strongHashLength: 8)),
    ]

    func store() -> SignatureStore {
        var store = SignatureStore()
        for (index, signature) in signatures.enumerated() {
            store.insert(signature, lastUsed: UInt64(10 * (index + 1)))
        }
        return store
    }

    /// Where each record of `bytes` (a whole file) ends, in file order.
    func recordEnds(_ bytes: [UInt8]) -> [Int] {
        var ends: [Int] = []
        var start = SignatureStore.header.count
        while start < bytes.count {
            let length =
                Int(bytes[start]) | Int(bytes[start + 1]) << 8 | Int(bytes[start + 2]) << 16 | Int(bytes[start + 3])
                << 24
            start += 4 + length + 16
            ends.append(start)
        }
        return ends
    }

    /// Every signature `store` hands out is one of the originals, unchanged.
    func expectOnlyOriginals(_ store: SignatureStore, _ comment: Comment) {
        for digest in store.entries.keys {
            let original = signatures.first { $0.fileDigest == digest }
            #expect(original != nil, "an entry for content never stored; \(comment)")
            if let handedOut = store.signature(for: digest) {
                #expect(handedOut.encoded() == original?.encoded(), "\(comment)")
            }
        }
    }

    @Test func aStoreRoundTripsAndHandsBackTheSignaturesItWasGiven() throws {
        let bytes = store().encoded()
        #expect(Array(bytes[..<5]) == Array("FPSS".utf8) + [1])
        #expect(bytes.count == store().encodedSize)
        let (decoded, damage) = SignatureStore.decoding(bytes)
        #expect(damage == nil)
        #expect(decoded.count == 3)
        for signature in signatures {
            #expect(decoded.contains(signature.fileDigest))
            #expect(decoded.signature(for: signature.fileDigest)?.encoded() == signature.encoded())
        }
        #expect(decoded.entries[signatures[1].fileDigest]?.lastUsed == 20)
        #expect(decoded.encoded() == bytes, "least recently used first, as appends leave it")
        #expect(recordEnds(bytes).last == bytes.count)
    }

    @Test func anEmptyFileIsAnEmptyStoreAndAHeaderAloneToo() {
        #expect(SignatureStore.decoding([]).damage == nil)
        let (store, damage) = SignatureStore.decoding(SignatureStore.header)
        #expect(damage == nil && store.count == 0)
        #expect(SignatureStore().encoded() == SignatureStore.header)
    }

    @Test func anotherMagicOrVersionKeepsNothing() {
        var bytes = store().encoded()
        bytes[4] = 2
        let (newer, versionDamage) = SignatureStore.decoding(bytes)
        #expect(newer.count == 0)
        #expect(versionDamage?.code == .unsupported)
        let (foreign, magicDamage) = SignatureStore.decoding(Array("FPSC".utf8) + bytes[4...])
        #expect(foreign.count == 0)
        #expect(magicDamage?.code == .corrupt)
    }

    /// A file cut anywhere (a torn append) keeps exactly the records that end before the cut, and says it is torn
    /// unless the cut falls between records.
    @Test func everyTruncationKeepsTheWholeRecordsBeforeIt() {
        let bytes = store().encoded()
        let ends = recordEnds(bytes)
        for length in SignatureStore.header.count..<bytes.count {
            let (decoded, damage) = SignatureStore.decoding(Array(bytes[..<length]))
            let whole = ends.filter { $0 <= length }.count
            #expect(decoded.count == whole, "cut at \(length)")
            #expect(
                (damage == nil) == (length == SignatureStore.header.count || ends.contains(length)), "cut at \(length)")
            expectOnlyOriginals(decoded, "cut at \(length)")
        }
    }

    /// A flipped bit anywhere is caught: the records before the damaged one are kept and handed out unchanged,
    /// the damaged one and everything after it are not kept.
    @Test func everyFlippedBitIsCaughtAndNothingFromTheDamagedRecordOnIsKept() {
        let bytes = store().encoded()
        let ends = recordEnds(bytes)
        for position in bytes.indices {
            for bit in [0, 7] {
                var damaged = bytes
                damaged[position] ^= 1 << bit
                let (decoded, damage) = SignatureStore.decoding(damaged)
                #expect(damage != nil, "byte \(position) bit \(bit)")
                #expect(decoded.count == ends.filter { $0 <= position }.count, "byte \(position) bit \(bit)")
                expectOnlyOriginals(decoded, "byte \(position) bit \(bit)")
            }
        }
    }

    /// Bytes that a checksum seals but that are no signature of the content they are filed under (a writer's bug,
    /// another program): kept as an entry, never handed out.
    @Test func aSealedRecordThatIsNotASignatureOfItsDigestIsNeverHandedOut() {
        let other = signatures[0]
        let filedUnder = signatures[1].fileDigest
        var bytes = SignatureStore.header
        bytes += SignatureStore.record(.init(lastUsed: 1, encodedSignature: other.encoded()), digest: filedUnder)
        bytes += SignatureStore.record(
            .init(lastUsed: 1, encodedSignature: Array("not a signature".utf8)), digest: signatures[2].fileDigest)
        let (decoded, damage) = SignatureStore.decoding(bytes)
        #expect(damage == nil)
        #expect(decoded.contains(filedUnder))
        #expect(decoded.signature(for: filedUnder) == nil, "the signature of other content")
        #expect(decoded.signature(for: signatures[2].fileDigest) == nil, "not a signature")
    }

    @Test func aLaterRecordForTheSameContentReplacesTheEarlierOne() {
        var bytes = store().encoded()
        let entry = SignatureStore.Entry(lastUsed: 99, encodedSignature: signatures[0].encoded())
        bytes += SignatureStore.record(entry, digest: signatures[0].fileDigest)
        let (decoded, damage) = SignatureStore.decoding(bytes)
        #expect(damage == nil)
        #expect(decoded.count == 3)
        #expect(decoded.entries[signatures[0].fileDigest]?.lastUsed == 99)
        #expect(decoded.encodedSize < bytes.count, "the older record is not counted twice")
    }

    @Test func evictionKeepsTheMostRecentlyUsedEntriesThatFit() {
        var store = SignatureStore()
        var generator = SeededGenerator(seed: 7)
        let many = (0..<10).map { _ in Signature(bytes: generator.bytes(4_096)) }
        for (index, signature) in many.enumerated() { store.insert(signature, lastUsed: UInt64(index)) }
        let recordSize = store.entries[many[0].fileDigest]!.recordSize
        #expect(
            many.allSatisfy { store.entries[$0.fileDigest]!.recordSize == recordSize },
            "same-sized files, same-sized records")

        var evicted = store
        evicted.evict(toFit: SignatureStore.header.count + 4 * recordSize, inUse: [], now: 100)
        #expect(Set(evicted.entries.keys) == Set(many[6...].map(\.fileDigest)), "the four most recently used")
        #expect(evicted.encodedSize <= SignatureStore.header.count + 4 * recordSize)

        // Content a server holds now counts as used now, ahead of everything else.
        var keepingInUse = store
        keepingInUse.evict(toFit: SignatureStore.header.count + 4 * recordSize, inUse: [many[0].fileDigest], now: 100)
        #expect(Set(keepingInUse.entries.keys) == Set(([many[0]] + many[7...]).map(\.fileDigest)))
        #expect(keepingInUse.entries[many[0].fileDigest]?.lastUsed == 100)

        var roomy = store
        roomy.evict(toFit: store.encodedSize, inUse: [], now: 100)
        #expect(roomy.count == 10, "nothing goes when everything fits")
    }
}
