// swift-tools-version: 6.2
import PackageDescription

let strictness: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "FastPush",
    products: [
        .library(name: "DeltaSync", targets: ["DeltaSync"]),
        .executable(name: "fastpush", targets: ["Plugin"]),
        .executable(name: "cf-fastpush-controller", targets: ["ControllerMain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CXXHash", providers: [.apt(["libxxhash-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "DeltaSync", dependencies: ["CXXHash", "CZlib"], swiftSettings: strictness),
        .target(name: "GobRPC", swiftSettings: strictness),
        .executableTarget(
            name: "Plugin",
            dependencies: [
                "DeltaSync", "GobRPC", "Controller", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictness
        ),
        .target(
            name: "Controller",
            dependencies: [
                "DeltaSync", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strictness
        ),
        .executableTarget(name: "ControllerMain", dependencies: ["Controller", "DeltaSync"], swiftSettings: strictness),
        .testTarget(
            name: "DeltaSyncTests",
            dependencies: ["DeltaSync", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictness
        ),
        .target(name: "TestSupport", path: "Tests/Support", exclude: ["GoPeer"], swiftSettings: strictness),
        .testTarget(
            name: "GobRPCTests", dependencies: ["GobRPC", "TestSupport"], exclude: ["Vectors"], swiftSettings: strictness),
        .testTarget(
            name: "PluginTests",
            dependencies: [
                "Plugin", "DeltaSync", "Controller", "GobRPC", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "ControllerTests",
            dependencies: [
                "Controller", "DeltaSync", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness
        ),
    ]
)

// Fuzz targets (Fuzz/Targets), one executable per decoder of untrusted bytes. They exist only when
// scripts/fuzz builds them (FASTPUSH_FUZZ=1, with -sanitize=fuzzer, in .build-fuzz), so the everyday build and
// `swift test` never compile them and the fuzzer's instrumentation never reaches the shipped binaries.
if Context.environment["FASTPUSH_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, product: String, dependencies: [Target.Dependency])] = [
        ("FuzzSignature", "fuzz-signature", ["DeltaSync"]), ("FuzzDelta", "fuzz-delta", ["DeltaSync"]),
        ("FuzzPushBundle", "fuzz-push-bundle", ["DeltaSync"]), ("FuzzManifest", "fuzz-manifest", ["DeltaSync"]),
        ("FuzzGob", "fuzz-gob", ["GobRPC"]), ("FuzzLegacyJSON", "fuzz-legacy-json", ["Controller"]),
        ("FuzzConfig", "fuzz-config", ["Controller"]),
    ]
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/Support", swiftSettings: strictness),
    ]
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name, dependencies: target.dependencies + ["FuzzSupport"], path: "Fuzz/Targets/\(target.name)",
                swiftSettings: strictness))
        package.products.append(.executable(name: target.product, targets: [target.name]))
    }
}
