import Foundation

/// Starts the binary as a cf CLI plugin when cf launched it (`PORT COMMAND ...`), else as the `fastpush`
/// command line.
@main
enum EntryPoint {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if CFPlugin.isLaunchedByCF(arguments) {
            exit(await CFPlugin.run(arguments, environment: ProcessInfo.processInfo.environment))
        }
        await FastPushCommand.main()
    }
}
