import ArgumentParser
import Foundation

/// `fastpush push URL... [DIR]`: push a directory to the controller of any app (Heroku, a VM, a local one), or to
/// several instances of it, each behind its own URL.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push what changed in DIR to the app at URL; the app restarts only if its rules say so.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var flags: PushFlags

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let targets = try connection.pushTargets(environment: environment)
        try await ClientError.exitingOnFailure {
            try await PushRunner.push(
                targets: targets, options: flags.options(directory: connection.directory), environment: environment,
                terminal: Terminal(environment: environment))
        }
    }
}
