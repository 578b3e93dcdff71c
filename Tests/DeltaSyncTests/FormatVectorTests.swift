import Testing

@testable import DeltaSync

/// The worked examples of docs/FORMAT.md, byte for byte: the encodings may not drift from their spec.
@Suite struct FormatVectorTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8.filter { $0 != 0x20 })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    static let old = Array(String(repeating: "abcdefghij", count: 10).utf8)
    static let new = Array(old[..<70]) + Array("XYZ".utf8) + Array(old[70...])

    @Test func signatureExample() throws {
        let signature = Signature(bytes: Self.old, parameters: try SignatureParameters(blockSize: 64, strongHashLength: 4))
        #expect(signature.encoded() == Self.bytes("""
            4650 5347 0140 0464 347f 1c62 5259 4dab 0847 300d 3b4f 9f4e e9a4 ca2f 85d6 c7c1 83a0 2433 c95a aae3
            """))
        #expect(signature.weakSums == [0x2fca_a4e9, 0x3324_a083])
    }

    @Test func signatureStoreExample() throws {
        let signature = Signature(bytes: Self.old, parameters: try SignatureParameters(blockSize: 64, strongHashLength: 4))
        var store = SignatureStore()
        store.insert(signature, lastUsed: 1_767_225_600)
        let expected = Self.bytes("""
            4650 5353 0140 0000 0034 7f1c 6252 594d ab08 4730 0d3b 4f9f 4e00 b955 6900 0000 \
            0046 5053 4701 4004 6434 7f1c 6252 594d ab08 4730 0d3b 4f9f 4ee9 a4ca 2f85 d6c7 \
            c183 a024 33c9 5aaa e37a 87e1 5cb8 c1a2 79bd d189 799c f17a 7b
            """)
        #expect(store.encoded() == expected)
        let (decoded, damage) = SignatureStore.decoding(expected)
        #expect(damage == nil)
        #expect(decoded.signature(for: signature.fileDigest)?.encoded() == signature.encoded())
    }

    @Test func deltaExample() throws {
        let signature = Signature(bytes: Self.old, parameters: try SignatureParameters(blockSize: 64, strongHashLength: 4))
        let delta = Delta.make(signature: signature, bytes: Self.new).delta
        let expected = Self.bytes("""
            4650 444c 0140 6434 7f1c 6252 594d ab08 4730 0d3b 4f9f 4e01 0001 0227 6566 6768 \
            696a 5859 5a61 6263 6465 6667 6869 6a61 6263 6465 6667 6869 6a61 6263 6465 6667 \
            6869 6a00 67b9 78bb 2ca0 108b 6d72 534a d78d b8d4 c3
            """)
        #expect(delta == expected)
        #expect(try Patch.apply(basis: Self.old, delta: expected) == Self.new)
    }

    @Test func manifestExample() throws {
        let encoded = Self.bytes("""
            4650 4d46 0103 0001 6402 ed03 0080 fb89 9ed3 9697 eb31 0106 2f61 2e74 7874 01a4 \
            0303 80fb 899e d396 97eb 31f4 d049 7cf9 394c aab3 4d1a 3ab2 bece 7000 046c 696e \
            6b03 ff03 0780 fb89 9ed3 9697 eb31 0764 2f61 2e74 7874 548d f104 4be2 08c2 a3f0 \
            8ed0 5398 9814
            """)
        let manifest = try Manifest(decoding: encoded)
        #expect(manifest.entries.map(\.path) == ["d", "d/a.txt", "link"])
        #expect(manifest["d/a.txt"]?.digest == FileDigest(of: Array("hi\n".utf8)))
        #expect(manifest["link"]?.symlinkTarget == "d/a.txt")
        #expect(manifest.rootDigest.hex == "548df1044be208c2a3f08ed053989814")
        #expect(manifest.encoded() == encoded)
        #expect(Manifest.empty.rootDigest == FileDigest(of: []))
    }
}
