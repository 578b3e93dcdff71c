import DeltaSync
import GobRPC

extension PluginMetadata {
    /// What `cf install-plugin` registers: `fast-push` (alias `fp`) and `fast-push-status` (alias `fps`).
    static var fastPush: PluginMetadata {
        let parts = FastPushVersion.current.split(separator: ".").map { Int($0) ?? 0 } + [0, 0, 0]
        return PluginMetadata(
            name: "FastPush",
            version: PluginVersion(major: parts[0], minor: parts[1], build: parts[2]),
            libraryVersion: PluginVersion(major: 1),
            commands: [
                PluginCommand(
                    name: "fast-push", alias: "fp",
                    helpText: "Push only what changed into a running app, in about a second; restart it only if needed",
                    usageDetails: PluginUsage(
                        usage: "cf fast-push APP_NAME [--dry-run] [--no-restart | --restart] [--path DIR] [--route URL] [--resync] [--watch] [--instance N | --all-instances] [--verbose]",
                        options: [
                            "dry-run": "Change nothing: show what would be sent and the restart decision",
                            "no-restart": "Do not restart the app, whatever its rules say",
                            "restart": "Restart the app even if no rule asks for it",
                            "path": "The app directory (default: the current directory)",
                            "route": "The app URL to reach the controller at (default: the app's first route)",
                            "resync": "Ignore the local cache and compare with the app's files as they are now",
                            "verbose": "Also show skipped files and timings",
                            "watch": "Push again whenever the directory changes, until Ctrl-C",
                            "instance": "Push to this instance only (0 is the first)",
                            "all-instances": "Push to every running instance and report whether they match (the default)",
                        ])),
                PluginCommand(
                    name: "fast-push-status", alias: "fps",
                    helpText: "Show the app's state, its last fast push and the local changes not pushed yet",
                    usageDetails: PluginUsage(
                        usage: "cf fast-push-status APP_NAME [--path DIR] [--route URL] [--instance N | --all-instances]",
                        options: [
                            "path": "The app directory to compare with (default: the current directory)",
                            "route": "The app URL to reach the controller at (default: the app's first route)",
                            "instance": "Show this instance only (0 is the first)",
                            "all-instances": "Show every running instance (the default)",
                        ])),
            ])
    }
}
