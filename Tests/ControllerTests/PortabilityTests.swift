import Foundation
import TestSupport
import Testing

/// The shipped controller runs on Cloud Foundry's cflinuxfs4 and Heroku-22/24 with nothing installed beside it:
/// `scripts/check-portability` on the release build (libraries: libc, libm, libz, libstdc++, libgcc_s only;
/// glibc symbols up to GLIBC_2.35).
///
/// A release build takes 7 minutes or more, too long to start from `swift test`; so the test checks the release
/// controller that `scripts/release` left (in dist/, and unstripped in .build-release/), and is skipped, saying so,
/// when there is none. `scripts/release` runs the same check on every release, then starts the controller in a
/// Debian root file system without Swift (scripts/chroot-trial).
@Suite struct PortabilityTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// What `scripts/release` ships, else the release build it strips.
    static var releaseController: String? {
        [
            "\(repository)/dist/cf-fastpush-controller-linux-\(BuildProducts.architecture)",
            "\(repository)/.build-release/release/cf-fastpush-controller",
        ].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The controller of this (debug) build, beside the test bundle: it needs the Swift runtime's libraries.
    static var debugController: String? { BuildProducts.path(of: "cf-fastpush-controller") }

    static func checkPortability(_ binary: String) throws -> (status: Int32, output: String) {
        try Process.runCollectingOutput(repository + "/scripts/check-portability", [binary])
    }

    @Test(
        .enabled(
            if: releaseController != nil,
            "skipped: no release controller in dist/ or .build-release/ (run scripts/release; a release build takes 7+ minutes, too long to start from swift test)"
        ))
    func theReleaseControllerNeedsOnlyLibcLibmLibzLibstdcxxAndLibgccWithGlibc235() throws {
        let controller = try #require(Self.releaseController)
        let check = try Self.checkPortability(controller)
        print("PortabilityTests: \(controller)\n\(check.output)")
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("libc.so.6"))
        #expect(!check.output.contains("libswift"))
        #expect(!check.output.contains("libyaml"))
        #expect(!check.output.contains("Foundation"))
    }

    /// The check can fail: the debug controller links the Swift runtime dynamically, which no stack has.
    @Test(.enabled(if: debugController != nil, "skipped: no debug cf-fastpush-controller beside the tests"))
    func theCheckRefusesABinaryThatNeedsTheSwiftRuntime() throws {
        let check = try Self.checkPortability(try #require(Self.debugController))
        #expect(check.status == 1)
        #expect(check.output.contains("needs libswiftCore.so"), "\(check.output)")
    }
}
