import ArgumentParser
import DeltaSync
import Testing

@testable import Plugin

/// The engine's command line, run as a user would: arguments in, files out, errors with exit codes.
@Suite struct EngineCommandTests {
    let directory: String

    init() throws {
        directory = try FileTree.makeTemporaryDirectory(prefix: "fastpush-cli-test")
        let old = ExampleApp.pseudoRandomBytes(count: 200_000, seed: 1)
        var new = old
        new.insert(contentsOf: Array("inserted".utf8), at: 70_000)
        try FileTree.write(old, to: file("old"))
        try FileTree.write(new, to: file("new"))
    }

    func file(_ name: String) -> String { directory + "/" + name }

    /// Parses and runs `arguments`; returns the exit code and message the command line would print.
    func run(_ arguments: [String]) -> (code: Int32, message: String) {
        do {
            var command = try FastPushCommand.parseAsRoot(arguments)
            try command.run()
            return (0, "")
        } catch {
            return (FastPushCommand.exitCode(for: error).rawValue, FastPushCommand.message(for: error))
        }
    }

    @Test func signatureDeltaPatchRoundTrip() throws {
        defer { try? FileTree.removeRecursively(directory) }
        #expect(run(["signature", file("old"), file("sig")]).code == 0)
        #expect(run(["delta", file("sig"), file("new"), file("delta")]).code == 0)
        #expect(run(["patch", file("old"), file("delta"), file("out")]).code == 0)
        #expect(try FileTree.read(file("out")) == FileTree.read(file("new")))
        #expect(try FileTree.read(file("delta")).count < 2000, "an 8-byte insertion costs about a block")
        #expect(run(["signature", file("old"), file("sig8"), "--strong-bytes", "8", "--block-size", "4096"]).code == 0)
        let signature = try DeltaSync.Signature(decoding: FileTree.read(file("sig8")))
        #expect(signature.parameters.strongHashLength == 8)
        #expect(signature.parameters.blockSize == 4096)
    }

    @Test func badInputGetsAClearErrorAndANonZeroExit() throws {
        defer { try? FileTree.removeRecursively(directory) }
        let missing = run(["signature", file("absent"), file("sig")])
        #expect(missing.code != 0)
        #expect(missing.message.contains("absent"))
        #expect(missing.message.contains("No such file"))

        // A file that is not a signature.
        let notSignature = run(["delta", file("old"), file("new"), file("delta")])
        #expect(notSignature.code != 0)
        #expect(notSignature.message.contains("not a FastPush signature"))
        #expect(throws: (any Error).self) { try FileTree.read(file("delta")) }

        // A delta applied to the wrong basis leaves OUT as it was.
        #expect(run(["signature", file("old"), file("sig")]).code == 0)
        #expect(run(["delta", file("sig"), file("new"), file("delta")]).code == 0)
        try FileTree.write(Array("precious".utf8), to: file("out"))
        let wrongBasis = run(["patch", file("new"), file("delta"), file("out")])
        #expect(wrongBasis.code != 0)
        #expect(wrongBasis.message.contains("basis"))
        #expect(try FileTree.read(file("out")) == Array("precious".utf8))

        let badOption = run(["signature", file("old"), file("sig"), "--strong-bytes", "12"])
        #expect(badOption.code != 0)
        #expect(badOption.message.contains("strong hash length 12"))
        #expect(run(["patch", file("old")]).code == ExitCode.validationFailure.rawValue)
    }

    @Test func manifestListsTheTreeAndWritesTheBinaryForm() throws {
        defer { try? FileTree.removeRecursively(directory) }
        try FileTree.write(Array("*.tmp\n".utf8), to: file(".cfignore"))
        try FileTree.write(Array("x".utf8), to: file("scratch.tmp"))
        #expect(run(["manifest", directory, "--output", file("manifest.bin")]).code == 0)
        let manifest = try Manifest(decoding: FileTree.read(file("manifest.bin")))
        #expect(manifest.entries.map(\.path) == ["new", "old"])
        #expect(run(["manifest", file("absent")]).code != 0)
    }

    @Test func demoPushesAndVerifies() {
        #expect(run(["demo"]).code == 0)
    }
}
