import ArgumentParser
import Foundation

/// `fastpush status URL... [DIR]`: the app's state as its controller sees it, and what is not pushed yet.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the app's state, its last push and the local changes not pushed yet.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let targets = try connection.pushTargets(environment: environment)
        try await ClientError.exitingOnFailure {
            try await PushRunner.status(
                targets: targets, directory: connection.directory, environment: environment,
                terminal: Terminal(environment: environment))
        }
    }
}
