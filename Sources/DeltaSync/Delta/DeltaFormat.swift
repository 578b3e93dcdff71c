/// Constants of the delta encoding (docs/FORMAT.md, "Delta").
enum DeltaFormat {
    static let magic: [UInt8] = Array("FPDL".utf8)
    static let version: UInt8 = 1

    /// Operation tags.
    static let end: UInt8 = 0x00
    static let copy: UInt8 = 0x01
    static let literal: UInt8 = 0x02
    static let deflatedLiteral: UInt8 = 0x03

    /// The most raw bytes one literal operation may carry: bounds what a patcher must buffer.
    static let maximumLiteralLength = 1 << 20
    /// How much of the rebuilt file before a literal serves as its deflate dictionary (deflate's window).
    static let dictionaryLength = 32 * 1024

    /// No delta from nothing (a whole upload) of a `targetSize`-byte file is smaller than this.
    ///
    /// It counts the header and END with one-byte varints and one byte per 1,032 bytes of content,
    /// deflate's best ratio (a 258-byte match coded in two bits); each literal operation's tag and lengths
    /// pay for rounding down. A delta no larger than this needs no whole form made to compare with.
    static func smallestWholeDelta(targetSize: Int) -> Int {
        let digest = 16
        let header = magic.count + 1 + 1 + 1 + digest  // magic, version, blockSize, basisSize 0, basisDigest
        let end = 1 + 1 + digest  // tag, targetSize, targetDigest
        return header + end + targetSize / 1032
    }
}
