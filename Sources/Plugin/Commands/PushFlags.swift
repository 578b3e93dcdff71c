import ArgumentParser

/// The flags of a push, the same for `fastpush push` and `cf fast-push`.
struct PushFlags: ParsableArguments {
    @Flag(help: "Change nothing: show what would be sent and the restart decision the controller would take.")
    var dryRun = false
    @Flag(name: .customLong("no-restart"), help: "Do not restart the app, whatever the rules say.")
    var noRestart = false
    @Flag(help: "Restart the app even if no rule asks for it.")
    var restart = false
    @Flag(help: "Ignore the local cache of what was last pushed: compare with the app's files as they are now.")
    var resync = false
    @Flag(help: "Also show skipped files and timings.")
    var verbose = false
    @Flag(help: "Push again whenever the directory changes, until Ctrl-C.")
    var watch = false
    @Flag(help: .hidden) var legacyProtocol = false

    func validate() throws {
        if noRestart && restart { throw ValidationError("--restart and --no-restart contradict each other: give one") }
        if watch && dryRun { throw ValidationError("--watch pushes for real; a --dry-run shows one push: give one") }
    }

    func options(directory: String) -> PushOptions {
        PushOptions(
            directory: directory, dryRun: dryRun, restart: restart ? .always : noRestart ? .never : .rules,
            resync: resync, verbose: verbose, legacyProtocol: legacyProtocol, watch: watch)
    }
}
