import ArgumentParser
import DeltaSync
import Foundation
import GobRPC

/// The binary as a cf CLI plugin: cf starts it as `fastpush PORT COMMAND ARGS...` and answers its RPC calls
/// on 127.0.0.1:PORT.
enum CFPlugin {
    static let commands = ["fast-push", "fast-push-status", "SendMetadata", "CLI-MESSAGE-UNINSTALL"]

    /// Whether cf started the binary: a port, then one of the plugin's commands or cf's lifecycle messages.
    static func isLaunchedByCF(_ arguments: [String]) -> Bool {
        guard arguments.count >= 2, let port = Int(arguments[0]), (1...65535).contains(port) else { return false }
        return commands.contains(arguments[1])
    }

    /// Runs what cf asked for; returns the exit code (cf turns any non-zero code into its own 1).
    static func run(_ arguments: [String], environment: [String: String]) async -> Int32 {
        let port = Int(arguments[0]) ?? 0
        let trace = HTTPTrace.from(environment: environment)
        let terminal = Terminal(environment: environment)
        do {
            var rpcTrace: RPCClient.Trace? = nil
            if let trace { rpcTrace = { line in trace.rpc(line) } }
            let connection = try CFPluginConnection(port: port, trace: rpcTrace)
            defer { connection.close() }
            let rest = Array(arguments.dropFirst(2))
            switch arguments[1] {
            case "SendMetadata":
                try connection.setPluginMetadata(PluginMetadata.fastPush)
            case "CLI-MESSAGE-UNINSTALL":
                // The plugin's only state is its cache; leaving it would leave stale digests behind.
                try? FileTree.removeRecursively(PushCache.root(environment: environment))
            case "fast-push":
                let command = try CFPushCommand.parse(rest)
                let target = try await CFTarget.find(appName: command.app, route: command.route, connection: connection, trace: trace)
                let (targets, skipped) = try target.pushTargets(instance: command.instance)
                introduce(target, targets: targets, skipped: skipped, directory: command.path, terminal: terminal)
                try await PushRunner.push(
                    targets: targets, skipped: skipped, options: command.flags.options(directory: command.path),
                    environment: environment, terminal: terminal)
            case "fast-push-status":
                let command = try CFStatusCommand.parse(rest)
                let target = try await CFTarget.find(appName: command.app, route: command.route, connection: connection, trace: trace)
                let (targets, skipped) = try target.pushTargets(instance: command.instance)
                try await PushRunner.status(
                    targets: targets, skipped: skipped, directory: command.path, environment: environment, terminal: terminal)
            default:
                return 1
            }
            return 0
        } catch let exit as ExitCode {
            if exit.rawValue == 0 { return 0 }
            ClientError.reported.print(insideCF: true)
            return 1
        } catch let error as ClientError {
            error.print(insideCF: true)
            return 1
        } catch let error as RPCError {
            ClientError("the cf CLI could not answer (\(error)); run the command again, or with CF_TRACE=true to see the calls")
                .print(insideCF: true)
            return 1
        } catch {
            // A usage error: the parser's message says what was wrong.
            let command: any ParsableCommand.Type = arguments[1] == "fast-push-status" ? CFStatusCommand.self : CFPushCommand.self
            let message = command.fullMessage(for: error)
            if !message.isEmpty { printError(message) }
            return command.exitCode(for: error).isSuccess ? 0 : 1
        }
    }

    /// The push's first lines: what goes where, and what a user should know about the connection.
    private static func introduce(
        _ target: CFTarget, targets: [PushTarget], skipped: [(label: String, state: String)], directory: String,
        terminal: Terminal
    ) {
        let name = URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        terminal.print("Fast-pushing \(name) to app \(target.app.name) at \(target.endpoint.baseURL)")
        if target.skipsCertificateValidation {
            terminal.print(terminal.paint("Not checking TLS certificates (the API was targeted with --skip-ssl-validation)", .yellow))
        }
        if targets.count + skipped.count > 1 {
            let running = "\(targets.count) running instance\(targets.count == 1 ? "" : "s")"
            let notRunning = skipped.map { "\($0.label): \($0.state)" }.joined(separator: ", ")
            terminal.print(
                "Pushing to the \(running), \(min(PushRunner.concurrentInstances, targets.count)) at a time"
                    + (skipped.isEmpty ? "" : "; skipping those not running (\(notRunning))"))
        }
    }
}

/// `cf fast-push APP [flags]`, parsed from the arguments cf passes after the command name.
struct CFPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cf fast-push")
    @Argument(help: "The app's name in the targeted space.") var app: String
    @Option(help: "The app directory.") var path = "."
    @Option(help: "The app URL to reach the controller at (default: the app's first route).") var route: String?
    @Option(help: "Push to this instance only (0 is the first), through the router's X-Cf-App-Instance header.")
    var instance: Int?
    @Flag(help: "Push to every running instance and report whether they match (what a push without --instance does).")
    var allInstances = false
    @OptionGroup var flags: PushFlags

    func validate() throws {
        if instance != nil && allInstances { throw ValidationError("--instance and --all-instances contradict each other: give one") }
    }
}

/// `cf fast-push-status APP [--path DIR] [--route URL]`.
struct CFStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cf fast-push-status")
    @Argument(help: "The app's name in the targeted space.") var app: String
    @Option(help: "The app directory to compare with.") var path = "."
    @Option(help: "The app URL to reach the controller at (default: the app's first route).") var route: String?
    @Option(help: "Show this instance only (0 is the first).") var instance: Int?
    @Flag(help: "Show every running instance (what happens without --instance).") var allInstances = false

    func validate() throws {
        if instance != nil && allInstances { throw ValidationError("--instance and --all-instances contradict each other: give one") }
    }
}
