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
}
