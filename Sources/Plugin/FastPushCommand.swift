import ArgumentParser
import DeltaSync

/// `fastpush`: the FastPush command line. The engine's commands work on plain files, like rdiff's.
@main
struct FastPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fastpush",
        abstract: "Push only what changed into a running app; work with signatures, deltas and manifests.",
        version: FastPushVersion.current,
        subcommands: [
            DemoCommand.self, SignatureCommand.self, DeltaCommand.self, PatchCommand.self, ManifestCommand.self,
        ]
    )
}
