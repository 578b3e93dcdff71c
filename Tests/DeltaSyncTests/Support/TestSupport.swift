@testable import DeltaSync
import Glibc

/// A small deterministic generator (SplitMix64) so every generated case can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` bytes from a fresh generator seeded with `seed`: the same bytes every time.
    static func bytes(seed: UInt64, count: Int) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return generator.bytes(count)
    }

    /// `lines` of plausible source code from a fresh generator seeded with `seed`: the same text every time.
    static func text(seed: UInt64, lines: Int) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return generator.text(lines: lines)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = next()
            for _ in 0..<min(8, count - index) {
                result[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return result
    }

    /// Lines of plausible source code: compressible, like the files a push usually carries.
    mutating func text(lines: Int) -> [UInt8] {
        let words = ["return", "self", "value", "index", "let", "var", "func", "if", "else", "print", "count", "items"]
        var text = ""
        for line in 0..<lines {
            text += String(repeating: " ", count: Int(next() % 3) * 4)
            for _ in 0..<(2 + Int(next() % 6)) { text += words[Int(next() % UInt64(words.count))] + " " }
            text += "// \(line)\n"
        }
        return Array(text.utf8)
    }
}

/// A temporary directory removed when the test is done with it.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = try FileTree.makeTemporaryDirectory(prefix: "fastpush-test")
    }

    deinit { try? FileTree.removeRecursively(path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// The names in the directory, to prove no temporary files were left behind.
    func names(in subdirectory: String = "") throws -> [String] {
        try SystemCall.directoryNames(subdirectory.isEmpty ? path : file(subdirectory))
            .map { String(decoding: $0, as: UTF8.self) }.sorted()
    }
}

/// Sets a file's modification time to `secondsAgo` in the past (without following symlinks).
func age(_ path: String, secondsAgo: Int) {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let past = timespec(tv_sec: now.tv_sec - secondsAgo, tv_nsec: 0)
    var times = [past, past]
    _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
}

/// Applies `delta` to `basis` in memory, returning the error instead of throwing.
func patched(_ basis: [UInt8], _ delta: [UInt8], limit: Int = .max) -> Result<[UInt8], DeltaSyncError> {
    Result { () throws(DeltaSyncError) in try Patch.apply(basis: basis, delta: delta, maximumTargetSize: limit) }
}

extension Signature {
    /// A signature whose every block has the weak sum of an all-zero window and a different strong hash: every
    /// window of zeros is a weak hit that the strong hash rejects, the worst case for a matcher.
    static func collidingWeakSums(blockSize: Int, blocks: Int) throws -> Signature {
        let zeroWeak = [UInt8](repeating: 0, count: blockSize).withUnsafeBytes { RollingChecksum.weak($0) }
        return Signature(
            parameters: try SignatureParameters(blockSize: blockSize, strongHashLength: 8), fileSize: blocks * blockSize,
            fileDigest: FileDigest(high: 1, low: 2), weakSums: Array(repeating: zeroWeak, count: blocks),
            strongHashes: (0..<blocks).map { UInt64($0) + 1 })
    }
}
