import ArgumentParser
import Foundation

/// `fastpush status URL [DIR]`: the app's state as its controller sees it, and what is not pushed yet.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the app's state, its last push and the local changes not pushed yet.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The app directory to compare with (default: the current one).") var directory = "."

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        try await PushRunner.status(
            endpoint: try connection.endpoint(environment: environment), directory: directory,
            environment: environment, terminal: Terminal(environment: environment))
    }
}
