import ArgumentParser
import DeltaSync

/// `fastpush`: the FastPush command line: pushes to any app's controller, and the engine's commands, which work
/// on plain files like rdiff's.
struct FastPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fastpush",
        abstract: "Push only what changed into a running app; work with signatures, deltas and manifests.",
        version: FastPushVersion.current,
        subcommands: [
            DemoCommand.self, InitCommand.self, PushCommand.self, StatusCommand.self, SignatureCommand.self, DeltaCommand.self, PatchCommand.self, ManifestCommand.self,
        ]
    )
}
