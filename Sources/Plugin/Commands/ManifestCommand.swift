import ArgumentParser
import DeltaSync

struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "manifest", abstract: "List a tree's state.")
    func run() throws {}
}
