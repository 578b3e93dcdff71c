import Glibc

/// A cheap test of whether deflating some bytes can pay, run before spending zlib's time on them.
///
/// It estimates the order-0 entropy of a sample of up to 4 KiB: random or already-compressed data
/// scores close to 8 bits a byte and deflate cannot shrink it (it runs at a quarter of its speed on
/// text and gains nothing), while source code and markup score 4–6.
enum Compressibility {
    /// Samples shorter than this are never worth a deflate stream's overhead.
    static let minimumLength = 48
    /// Above this estimate (bits per byte) deflate is skipped.
    static let entropyLimit = 7.2

    static func isWorthCompressing(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= minimumLength else { return false }
        let sample = UnsafeRawBufferPointer(rebasing: bytes[..<min(bytes.count, 4096)])
        var histogram = [Int](repeating: 0, count: 256)
        for byte in sample { histogram[Int(byte)] += 1 }
        let total = Double(sample.count)
        var entropy = 0.0
        for count in histogram where count > 0 {
            let probability = Double(count) / total
            entropy -= probability * log2(probability)
        }
        return entropy < entropyLimit
    }
}
