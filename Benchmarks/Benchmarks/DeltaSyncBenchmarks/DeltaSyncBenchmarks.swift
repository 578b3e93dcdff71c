import Benchmark
import DeltaSync
import Foundation
import Synchronization

// Micro-benchmarks of the DeltaSync engine on in-memory data, generated once with fixed seeds so
// every run measures the same bytes. The end-to-end comparison with rdiff and rsync is
// `Benchmarks/compare-engine.sh`; this suite tracks the engine's parts between commits.
//
// Run from the Benchmarks directory: `swift package benchmark` (README.md has the details).

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: BenchData.metrics,
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 30
    )
    let size = BenchData.label

    Benchmark("RollingChecksum roll \(size)") { benchmark in
        let data = BenchData.old
        let window = 8192
        let start = ContinuousClock.now
        var checksum = RollingChecksum(windowLength: window)
        var accumulated: UInt32 = 0
        data.withUnsafeBufferPointer { bytes in
            checksum.reset(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[0..<window])))
            accumulated ^= checksum.weak
            for index in window..<bytes.count {
                checksum.roll(out: bytes[index - window], in: bytes[index])
                accumulated ^= checksum.weak
            }
        }
        blackHole(accumulated)
        BenchData.reportRate(benchmark, bytes: data.count - window, since: start)
    } setup: {
        try await BenchData.prepare()
    }

    Benchmark("Signature \(size)") { benchmark in
        let start = ContinuousClock.now
        blackHole(Signature(bytes: BenchData.old))
        BenchData.reportRate(benchmark, bytes: BenchData.old.count, since: start)
    } setup: {
        try await BenchData.prepare()
    }

    Benchmark("Delta mostly matching \(size)") { benchmark in
        let start = ContinuousClock.now
        let result = Delta.make(signature: BenchData.oldSignature, bytes: BenchData.new)
        blackHole(result.delta)
        BenchData.reportRate(benchmark, bytes: BenchData.new.count, since: start)
        // Each edit costs at most the blocks it touches (two, when it straddles a boundary) as literal data.
        let literalLimit = BenchData.editCount * 2 * BenchData.oldSignature.parameters.blockSize
        BenchData.check(
            benchmark, result.summary.literalBytes <= literalLimit,
            "delta matched too little: \(result.summary.literalBytes) literal bytes for \(BenchData.editCount) small edits"
        )
    } setup: {
        try await BenchData.prepare()
    }

    Benchmark("Delta no match \(size)") { benchmark in
        let start = ContinuousClock.now
        let result = Delta.make(signature: BenchData.oldSignature, bytes: BenchData.unrelated)
        blackHole(result.delta)
        BenchData.reportRate(benchmark, bytes: BenchData.unrelated.count, since: start)
        BenchData.check(benchmark, result.summary.copiedBytes == 0, "unrelated data matched a block")
    } setup: {
        try await BenchData.prepare()
    }

    Benchmark("Patch mostly matching \(size)") { benchmark in
        let start = ContinuousClock.now
        let rebuilt = try Patch.apply(basis: BenchData.old, delta: BenchData.matchingDelta)
        BenchData.reportRate(benchmark, bytes: rebuilt.count, since: start)
        BenchData.check(benchmark, rebuilt.count == BenchData.new.count, "patch rebuilt the wrong size")
        blackHole(rebuilt)
    } setup: {
        try await BenchData.prepare()
    }

    Benchmark("FileDigest \(size)") { benchmark in
        let start = ContinuousClock.now
        blackHole(FileDigest(of: BenchData.old))
        BenchData.reportRate(benchmark, bytes: BenchData.old.count, since: start)
    } setup: {
        try await BenchData.prepare()
    }

    // Every file hashed: a scanner with an empty cache, as on a first push.
    let coldTree = ScanTree(name: "cold")
    Benchmark("TreeScanner scan, cold cache, \(ScanTree.fileCount) files") { benchmark in
        var scanner = try TreeScanner(root: coldTree.root, ignoreRules: IgnoreRules(), cache: StatCache())
        let start = ContinuousClock.now
        let result = try scanner.scan()
        BenchData.reportRate(benchmark, bytes: result.hashedBytes, since: start)
        BenchData.check(
            benchmark, result.hashedFiles == ScanTree.fileCount, "cold scan hashed \(result.hashedFiles) files")
        blackHole(result)
    } setup: {
        try await coldTree.create()
    } teardown: {
        coldTree.remove()
    }

    // Nothing hashed: every file's stat identity matches the cache of an earlier scan (a repeat push).
    let warmTree = ScanTree(name: "warm")
    Benchmark("TreeScanner scan, warm cache, \(ScanTree.fileCount) files") { benchmark in
        var scanner = try warmTree.primedScanner()
        let result = try scanner.scan()
        BenchData.check(
            benchmark, result.cachedFiles == ScanTree.fileCount, "warm scan reused \(result.cachedFiles) digests")
        blackHole(result)
    } setup: {
        try await warmTree.create(primeCache: true)
    } teardown: {
        warmTree.remove()
    }
}

/// The inputs, made once (static lets are initialised lazily, on first use, exactly once).
enum BenchData {
    static let size = 32 << 20
    static let label = "\(size >> 20) MiB"
    static let editCount = 30

    /// Random bytes: the basis.
    static let old = randomBytes(count: size, seed: 0x0D15_EA5E)
    /// `old` with ``editCount`` small scattered edits, half replacements and half insertions of 1-64 bytes.
    static let new = withScatteredEdits(old, count: editCount, seed: 0xED17)
    /// Random bytes sharing nothing with `old`.
    static let unrelated = randomBytes(count: size, seed: 0xBADC_0FFE)
    static let oldSignature = Signature(bytes: old)
    static let matchingDelta = Delta.make(signature: oldSignature, bytes: new).delta

    static let bytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
    static let metrics: [BenchmarkMetric] = [
        .wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident, .throughput, bytesPerSecond,
    ]

    /// Builds the inputs before the first measured iteration, so no benchmark pays for them.
    static func prepare() async throws {
        blackHole(old.count + new.count + unrelated.count + oldSignature.blockCount + matchingDelta.count)
    }

    /// Records the rate of this iteration in MB/s (10⁶ bytes per second) as the custom metric.
    static func reportRate(_ benchmark: Benchmark, bytes: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        guard seconds > 0 else { return }
        benchmark.measurement(bytesPerSecond, Int((Double(bytes) / seconds / 1e6).rounded()))
    }

    /// Fails the benchmark if a result is wrong: a fast wrong answer is not a result.
    static func check(_ benchmark: Benchmark, _ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { benchmark.error(message()) }
    }

    static func randomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            while index < count {
                var word = generator.next()
                for _ in 0..<min(8, count - index) {
                    buffer[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
            initialized = count
        }
    }

    static func withScatteredEdits(_ basis: [UInt8], count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        // Positions spread over the file, applied from the end so earlier offsets stay valid.
        let positions = (0..<count).map { _ in Int(generator.next() % UInt64(basis.count - 64)) }.sorted(by: >)
        var result = basis
        for (ordinal, position) in positions.enumerated() {
            let length = Int(generator.next() % 64) + 1
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if ordinal % 2 == 0 {
                result.replaceSubrange(position..<(position + length), with: bytes)
            } else {
                result.insert(contentsOf: bytes, at: position)
            }
        }
        return result
    }
}

/// A small, fast, seeded generator (SplitMix64): the same seed gives the same bytes on every machine.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A generated temporary tree of small files (a typical app: 40 directories of 50 files, 100 B - 8 KiB).
final class ScanTree: Sendable {
    static let directoryCount = 40
    static let filesPerDirectory = 50
    static let fileCount = directoryCount * filesPerDirectory

    let root: String
    private let cache = Mutex(StatCache())

    init(name: String) {
        root = NSTemporaryDirectory() + "/deltasync-bench-tree-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
    }

    /// Writes the tree; with `primeCache`, waits out the stat cache's racy interval and scans once so
    /// that every file's digest is cached.
    func create(primeCache: Bool = false) async throws {
        remove()
        var generator = SplitMix64(seed: 0x7EE5)
        let manager = FileManager.default
        for directory in 0..<Self.directoryCount {
            let folder = "\(root)/src/module\(directory)"
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for file in 0..<Self.filesPerDirectory {
                let length = 100 + Int(generator.next() % 8092)
                let text = (0..<length).map { _ in UInt8(32 + generator.next() % 95) }
                guard manager.createFile(atPath: "\(folder)/file\(file).txt", contents: Data(text)) else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: "\(folder)/file\(file).txt"])
                }
            }
        }
        if primeCache {
            try await Task.sleep(for: .milliseconds(StatCache().racyInterval / 1_000_000 + 200))
            var scanner = try TreeScanner(root: root, ignoreRules: IgnoreRules(), cache: StatCache())
            _ = try scanner.scan()
            cache.withLock { $0 = scanner.cache }
        }
    }

    /// A scanner holding the primed cache (a copy: scanning does not change what the next iteration sees).
    func primedScanner() throws(DeltaSyncError) -> TreeScanner {
        try TreeScanner(root: root, ignoreRules: IgnoreRules(), cache: cache.withLock { $0 })
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
