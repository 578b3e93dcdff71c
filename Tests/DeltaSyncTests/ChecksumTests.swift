import PropertyBased
import Testing

@testable import DeltaSync

@Suite struct ChecksumTests {
    @Test func xxh3MatchesPublishedValues() {
        // Values printed by the reference tool `xxhsum -H2` / `-H3` for "" and "abc".
        #expect(FileDigest(of: []).hex == "99aa06d3014798d86001c324468d497f")
        #expect(FileDigest(of: Array("abc".utf8)).hex == "06b05ab6733a618578af5f94892f3950")
        #expect(Array("abc".utf8).withUnsafeBytes { BlockHash.hash($0) } == 0x78af_5f94_892f_3950)
    }

    @Test func digestTextAndBytesRoundTrip() throws {
        let digest = FileDigest(of: Array("FastPush".utf8))
        #expect(FileDigest(hex: digest.hex) == digest)
        #expect(FileDigest(bytes: digest.bytes) == digest)
        #expect(FileDigest(hex: "xyz") == nil)
        #expect(FileDigest(bytes: [1, 2, 3]) == nil)
    }

    @Test func streamingDigestEqualsOneShot() async {
        await propertyCheck(count: 50, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            var random = SeededGenerator(seed: UInt64(seed))
            let data = random.bytes(Int(random.next() % 20_000))
            var hasher = FileDigest.Hasher()
            var offset = 0
            while offset < data.count {
                let piece = min(data.count - offset, 1 + Int(random.next() % 3000))
                data[offset..<offset + piece].withUnsafeBytes { hasher.update($0) }
                offset += piece
            }
            #expect(hasher.finalize() == FileDigest(of: data))
        }
    }

    @Test func rollingEqualsRecomputing() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            var random = SeededGenerator(seed: UInt64(seed))
            let window = 1 + Int(random.next() % 300)
            let data = random.bytes(window + Int(random.next() % 2000))
            data.withUnsafeBytes { bytes in
                var checksum = RollingChecksum(windowLength: window)
                checksum.reset(UnsafeRawBufferPointer(rebasing: bytes[0..<window]))
                for start in 1..<(data.count - window + 1) {  // empty when the data is one window long
                    checksum.roll(out: bytes[start - 1], in: bytes[start + window - 1])
                    let fresh = RollingChecksum.hash(UnsafeRawBufferPointer(rebasing: bytes[start..<start + window]))
                    #expect(checksum.state == fresh, "window \(window) at \(start)")
                    if checksum.state != fresh { return }
                }
            }
        }
    }

    /// The from-scratch hash takes bytes in pairs on four chains: it must still be Horner's rule over every
    /// byte, for every length (with and without a tail of fewer than 8 bytes) and alignment.
    @Test func hashFromScratchIsHornersRule() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            var random = SeededGenerator(seed: UInt64(seed))
            let data = random.bytes(Int(random.next() % 3000))
            let start = data.isEmpty ? 0 : Int(random.next() % UInt64(min(data.count, 9)))
            var expected: UInt64 = 0
            for byte in data[start...] { expected = expected &* RollingChecksum.multiplier &+ UInt64(byte) }
            let hash = data.withUnsafeBytes { RollingChecksum.hash(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            #expect(hash == expected, "\(data.count - start) bytes from offset \(start)")
        }
    }

    @Test func rollingHashIsThePolynomialOfTheFormatDocument() {
        // h = Σ bᵢ·M^(L−1−i) mod 2⁶⁴, written out for three bytes.
        let m = RollingChecksum.multiplier
        let expected = 1 &* m &* m &+ 2 &* m &+ 3
        #expect([UInt8]([1, 2, 3]).withUnsafeBytes { RollingChecksum.hash($0) } == expected)
        #expect([UInt8]([1, 2, 3]).withUnsafeBytes { RollingChecksum.weak($0) } == UInt32(expected >> 32))
    }
}
