import ArgumentParser
import DeltaSync

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Demo.")
    func run() throws {}
}
