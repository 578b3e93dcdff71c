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
        // No traits: the default FullFoundation trait imports Foundation (and so ICU, about 40 MB) into the
        // controller for URL-encoded forms it never reads; ConfigurationSupport is unused too.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
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
        // libyaml for the config files; linked statically (see the Controller's linkerSettings).
        .systemLibrary(name: "CYAML", providers: [.apt(["libyaml-dev"])]),
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
                "DeltaSync", "CYAML",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strictness,
            // `-l:libyaml.a`: the static archive Debian's libyaml-dev ships, so that the controller, which runs in
            // containers without libyaml, needs no libyaml-0.so.2 (CYAML's module map links nothing itself).
            linkerSettings: [.linkedLibrary(":libyaml.a")]
        ),
        .executableTarget(
            name: "ControllerMain", dependencies: ["Controller", "DeltaSync"], swiftSettings: strictness,
            // The shipped controller (scripts/release) exports no symbols (the static Swift runtime asks for
            // --export-dynamic: 3 MB of symbol tables nothing looks up) and is not position-independent, as Go builds
            // by default: 2 MB of relocations less, which the 25 MB limit needs.
            linkerSettings: [
                .unsafeFlags(
                    ["-Xlinker", "--no-export-dynamic", "-Xclang-linker", "-no-pie"], .when(configuration: .release))
            ]),
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
                "Controller", "DeltaSync", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
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
        ("FuzzConfig", "fuzz-config", ["Controller"]), ("FuzzPathList", "fuzz-path-list", ["DeltaSync"]),
        ("FuzzScanMemory", "fuzz-scan-memory", ["DeltaSync"]), ("FuzzTreeExchange", "fuzz-tree-exchange", ["DeltaSync"]),
        ("FuzzSignatureStore", "fuzz-signature-store", ["DeltaSync"]),
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
