import Testing

@testable import DeltaSync

/// Every decoder, fed truncated, corrupted and crafted bytes, answers with a typed error: never a trap,
/// a hang, or a wrong file.
@Suite struct HostileInputTests {
    static let basis: [UInt8] = {
        var random = SeededGenerator(seed: 11)
        return random.text(lines: 300)
    }()
    static let target: [UInt8] = {
        var data = basis
        data.replaceSubrange(500..<520, with: Array("a changed line of text".utf8))
        data += Array("appended at the end\n".utf8)
        return data
    }()
    static let signature = Signature(bytes: basis, parameters: try! SignatureParameters(blockSize: 256, strongHashLength: 4))
    static let delta = Delta.make(signature: signature, bytes: target).delta
    /// Where the header keeps the basis digest, which a patch does not need (it checks the basis size and
    /// the rebuilt file's digest instead).
    static let basisDigestField: Range<Int> = {
        var header = ByteWriter()
        header.bytes(DeltaFormat.magic); header.byte(DeltaFormat.version); header.varint(256); header.varint(basis.count)
        return header.bytes.count..<header.bytes.count + 16
    }()

    @Test func everyTruncatedDeltaIsRefused() {
        for length in 0..<Self.delta.count {
            guard case .failure(let error) = patched(Self.basis, Array(Self.delta[..<length])) else {
                Issue.record("a delta cut at \(length) of \(Self.delta.count) bytes was accepted")
                continue
            }
            #expect([.truncated, .corrupt].contains(error.code), "cut at \(length): \(error)")
        }
    }

    @Test func corruptedDeltasNeverProduceAWrongFile() {
        var random = SeededGenerator(seed: 12)
        var accepted = Set<Int>()
        for trial in 0..<2000 {
            var corrupted = Self.delta
            let position = Int(random.next() % UInt64(corrupted.count))
            corrupted[position] ^= UInt8(1 + random.next() % 255)
            switch patched(Self.basis, corrupted) {
            case .success(let rebuilt):
                // Some bytes do not affect the result (the basis digest, which a patch does not need, and
                // unused bits of deflate data); a change there may pass, but only with the exact file.
                #expect(rebuilt == Self.target, "trial \(trial): byte \(position) gave a wrong file")
                if rebuilt == Self.target { accepted.insert(position) }
            case .failure(let error):
                #expect(
                    [.truncated, .corrupt, .unsupported, .limitExceeded, .digestMismatch, .basisMismatch].contains(error.code))
            }
        }
        // Nearly every byte matters: the header fields other than the basis digest, operations, lengths.
        #expect(accepted.subtracting(Self.basisDigestField).count < Self.delta.count / 20)
    }

    @Test func wrongBasisIsRefused() {
        var other = Self.basis
        other.removeLast()
        #expect(patched(other, Self.delta).failureCode == .basisMismatch)
        var flipped = Self.basis
        flipped[3] ^= 1
        #expect(patched(flipped, Self.delta).failureCode == .digestMismatch)
    }

    /// A header followed by `operations`, for hand-made deltas.
    static func craft(basisSize: Int, blockSize: Int = 256, _ operations: (inout ByteWriter) -> Void) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes(DeltaFormat.magic)
        writer.byte(DeltaFormat.version)
        writer.varint(blockSize)
        writer.varint(basisSize)
        writer.bytes([UInt8](repeating: 0, count: 16))
        operations(&writer)
        return writer.bytes
    }

    @Test func craftedOperationsAreRefused() {
        let basis = [UInt8](repeating: 1, count: 1000)  // 4 blocks of 256
        func attempt(_ operations: (inout ByteWriter) -> Void) -> DeltaSyncError.Code? {
            patched(basis, Self.craft(basisSize: basis.count, operations), limit: 1 << 20).failureCode
        }
        #expect(attempt { $0.byte(DeltaFormat.copy); $0.signedVarint(3); $0.varint(2) } == .corrupt, "past the last block")
        #expect(attempt { $0.byte(DeltaFormat.copy); $0.signedVarint(-1); $0.varint(1) } == .corrupt, "before the first")
        #expect(attempt { $0.byte(DeltaFormat.copy); $0.signedVarint(0); $0.varint(0) } == .corrupt, "empty copy")
        #expect(attempt { $0.byte(DeltaFormat.copy); $0.signedVarint(Int64.max); $0.varint(1) } == .corrupt, "overflow")
        #expect(attempt { $0.byte(DeltaFormat.literal); $0.varint(0) } == .corrupt, "empty literal")
        #expect(attempt { $0.byte(DeltaFormat.literal); $0.varint(2 << 20) } == .limitExceeded, "huge literal")
        #expect(attempt { $0.byte(DeltaFormat.literal); $0.varint(10); $0.bytes([1, 2]) } == .truncated)
        #expect(attempt { $0.byte(0x7F) } == .corrupt, "unknown operation")
        #expect(attempt { $0.byte(DeltaFormat.literal); $0.bytes([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) } == .corrupt, "varint overflow")
        #expect(attempt { $0.byte(DeltaFormat.literal); $0.bytes([0x85, 0x00]) } == .corrupt, "overlong varint")
        // Output limit: a copy of the whole basis is refused when the limit is smaller.
        let delta = Self.craft(basisSize: basis.count) { $0.byte(DeltaFormat.copy); $0.signedVarint(0); $0.varint(4) }
        #expect(patched(basis, delta, limit: 999).failureCode == .limitExceeded)
        // Trailing bytes after a correct end.
        let exact = Self.craft(basisSize: basis.count) {
            $0.byte(DeltaFormat.copy); $0.signedVarint(0); $0.varint(4)
            $0.byte(DeltaFormat.end); $0.varint(1000); $0.bytes(FileDigest(of: basis).bytes)
        }
        #expect(patched(basis, exact).map { $0 == basis } == .success(true))
        #expect(patched(basis, exact + [0]).failureCode == .corrupt)
    }

    /// A literal that inflates far beyond its declared size (a zip bomb in miniature) is stopped at the
    /// declared size; so are lying compressed lengths.
    @Test func deflateBombsAreRefused() throws {
        let zeros = [UInt8](repeating: 0, count: 200_000)
        let bomb = try #require(zeros.withUnsafeBytes { LiteralCompressor().compress($0, dictionary: UnsafeRawBufferPointer(start: nil, count: 0)) })
        #expect(bomb.count < 2000)
        let declaredSmall = Self.craft(basisSize: 0) {
            $0.byte(DeltaFormat.deflatedLiteral); $0.varint(bomb.count + 10); $0.varint(bomb.count); $0.bytes(bomb)
        }
        let error = patched([], declaredSmall).failure
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("beyond its declared") == true)
        let declaredLarge = Self.craft(basisSize: 0) {
            $0.byte(DeltaFormat.deflatedLiteral); $0.varint(bomb.count); $0.varint(bomb.count + 1); $0.bytes(bomb)
        }
        #expect(patched([], declaredLarge).failureCode == .corrupt)
        let garbage = Self.craft(basisSize: 0) {
            $0.byte(DeltaFormat.deflatedLiteral); $0.varint(100); $0.varint(10); $0.bytes([UInt8](repeating: 0xFF, count: 10))
        }
        #expect(patched([], garbage).failureCode == .corrupt)
    }

    @Test func signaturesAreCheckedField_by_field() throws {
        let encoded = Self.signature.encoded()
        let decoded = try Signature(decoding: encoded)
        #expect(decoded.weakSums == Self.signature.weakSums)
        #expect(decoded.strongHashes == Self.signature.strongHashes)
        #expect(decoded.fileDigest == Self.signature.fileDigest)
        #expect(decoded.parameters == Self.signature.parameters)
        #expect(decoded.encodedSize == encoded.count)
        for length in 0..<encoded.count {
            #expect(throws: DeltaSyncError.self, "cut at \(length)") { try Signature(decoding: Array(encoded[..<length])) }
        }
        #expect(throws: DeltaSyncError.self) { try Signature(decoding: encoded + [0]) }
        var badMagic = encoded
        badMagic[0] = 0x58
        #expect(signatureError(badMagic)?.message.contains("not a FastPush signature") == true)
        var badVersion = encoded
        badVersion[4] = 9
        #expect(signatureError(badVersion)?.code == .unsupported)
        var badStrong = encoded
        badStrong[7] = 9  // after magic, version and the two-byte block size varint
        #expect(signatureError(badStrong)?.code == .corrupt)
        // A header that claims a terabyte file but carries no blocks fails fast, without allocating for it.
        var liar = ByteWriter()
        liar.bytes(Signature.magic); liar.byte(Signature.version); liar.varint(256); liar.byte(4); liar.varint(1 << 40)
        liar.bytes([UInt8](repeating: 0, count: 16))
        #expect(signatureError(liar.bytes)?.code == .truncated)
    }

    func signatureError(_ bytes: [UInt8]) -> DeltaSyncError? {
        Result { () throws(DeltaSyncError) in try Signature(decoding: bytes) }.failure
    }

    @Test func unsafePathsAreRejected() {
        let hostile = [
            "", "../x", "/etc/passwd", "a/../../x", "a/./b", "a//b", "a/", ".", "..", "a\u{0}b",
            String(repeating: "x", count: 256), String(repeating: "a/", count: 2100) + "b",
        ]
        for path in hostile {
            #expect(throws: DeltaSyncError.self, "\(RelativePath.quoted(path))") { try RelativePath.validate(path) }
        }
        for path in ["a", "a/b.c", ".hidden", "a/..b", "..b/c", "dir/file name with spaces", "日本/ファイル"] {
            #expect(throws: Never.self) { try RelativePath.validate(path) }
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension Result where Failure == DeltaSyncError {
    var failureCode: DeltaSyncError.Code? { failure?.code }
}
