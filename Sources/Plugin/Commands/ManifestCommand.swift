import ArgumentParser
import DeltaSync

/// `fastpush manifest DIR`: what a push would compare, entry by entry, and the tree's root digest.
struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "List the state of DIR: each file, directory and symlink, then the root digest.",
        discussion: """
            Applies DIR/.cfignore and the cf CLI's built-in ignore list unless --no-ignore is given. \
            Each line is: kind, octal mode, size, XXH3-128, path.
            """)

    @Argument(help: "The app directory.") var directory: String
    @Option(help: "Also write the binary manifest to this file.") var output: String?
    @Flag(help: "Include files that .cfignore and the built-in list would leave out.") var noIgnore = false

    func run() throws {
        let rules = noIgnore ? IgnoreRules(includeDefaults: false) : try IgnoreRules.load(root: directory)
        var scanner = try TreeScanner(root: directory, ignoreRules: rules)
        let result = try scanner.scan()
        for entry in result.manifest.entries { print(entry) }
        for skipped in result.skipped { printError("skipped \(skipped.path): \(skipped.reason)") }
        if let output { try FileTree.write(result.manifest.encoded(), to: output) }
        let manifest = result.manifest
        print("root \(manifest.rootDigest.hex)")
        printError(
            "\(manifest.fileCount) files, \(ByteCount(manifest.totalFileSize)), \(manifest.entries.count) entries; hashed \(ByteCount(result.hashedBytes))"
        )
    }
}
