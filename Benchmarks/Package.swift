// swift-tools-version: 6.2
// The DeltaSync micro-benchmarks (package-benchmark). A separate package, so the benchmark
// package's malloc interposer never enters FastPush's own build graph.
// Run from this directory: `swift package benchmark` (see README.md).
import PackageDescription

// A path dependency's identity is its directory's name, which depends on where the repository was
// cloned ("fastpush", "main", ...): derive it rather than hard-code it.
let fastPushIdentity =
    Context.packageDirectory
    .split(separator: "/").dropLast().last.map { String($0).lowercased() } ?? "fastpush"

let package = Package(
    name: "FastPushBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // The MallocInterposer trait is required: the benchmark package's default traits pull a
        // package that cannot be resolved here.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "DeltaSyncBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DeltaSync", package: fastPushIdentity),
            ],
            path: "Benchmarks/DeltaSyncBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
