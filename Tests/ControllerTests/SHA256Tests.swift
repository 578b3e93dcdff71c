import DeltaSync
import Testing

@testable import Controller

/// The controller's own SHA-256, which the original API's checksums depend on byte for byte.
@Suite struct SHA256Tests {
    private static func hex(_ bytes: some Sequence<UInt8>) -> String { Hex.encode(SHA256.hash(bytes)) }

    /// FIPS 180-4's examples (NIST's "SHA256.pdf" and "SHA2_Additional.pdf").
    @Test func nistExamples() {
        #expect(Self.hex("".utf8) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Self.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Self.hex(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
                    .utf8) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(
            Self.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths on each side of the padding's edges (55, 56 and 64 bytes in a block), from Python's hashlib.
    @Test func lengthsAroundTheBlockEdges() {
        let expected: [Int: String] = [
            1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            55: "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59",
            56: "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562",
            57: "2fe741af801cc238602ac0ec6a7b0c3a8a87c7fc7d7f02a3fe03d1c12eac4d8f",
            63: "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488",
            64: "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108",
            65: "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781",
            119: "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6",
            120: "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c",
            127: "92ca0fa6651ee2f97b884b7246a562fa71250fedefe5ebf270d31c546bfea976",
            128: "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5",
            129: "5099c6a56203f9687f7d33f4bfdf576d31dc91f6b695ecea38b2770c87631135",
            1000: "4e4c294b331f7a2099a379bec34b9f9fc03dc46ab465d998f4d683da53487e6d",
            65543: "48e84525bcb5c9dcd67fa7a692ed20f31909ba8f0dd24c3ada9bd54b057468b0",
        ]
        for (length, digest) in expected {
            #expect(Self.hex((0..<length).map { UInt8($0 % 251) }) == digest, "\(length) bytes")
        }
    }

    /// Any split of the input into updates gives the digest of the whole.
    @Test func updatesInPiecesGiveTheDigestOfTheWhole() {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let whole = SHA256.hash(bytes)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var hasher = SHA256()
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 0...130, using: &generator))
                bytes[start..<end].withUnsafeBytes { hasher.update($0) }
                start = end
            }
            #expect(hasher.finalize() == whole)
        }
    }

    /// The original API's file checksums go through ``LegacyFileAPI/sha256(ofFile:)``, read in 256 KiB blocks.
    @Test func aFileLargerThanOneReadHashesAsItsBytes() throws {
        let directory = try FileTree.makeTemporaryDirectory(prefix: "fastpush-sha256")
        defer { try? FileTree.removeRecursively(directory) }
        let bytes = (0..<65543).map { UInt8($0 % 251) }
        try FileTree.write(bytes + bytes + bytes + bytes + bytes, to: directory + "/file")
        #expect(
            try LegacyFileAPI.sha256(ofFile: directory + "/file") == Self.hex(bytes + bytes + bytes + bytes + bytes))
        try FileTree.write(Array(bytes[..<1000]), to: directory + "/small")
        #expect(
            try LegacyFileAPI.sha256(ofFile: directory + "/small")
                == "4e4c294b331f7a2099a379bec34b9f9fc03dc46ab465d998f4d683da53487e6d")
    }
}
