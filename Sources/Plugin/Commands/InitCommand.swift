import ArgumentParser
import DeltaSync
import Foundation

/// `fastpush init [DIR]`: prepares an app for fast pushes. It finds how the app starts, writes
/// `cf-fastpush-controller.yml` with that command, and shows (with `--write`, makes) the change the app's start file
/// needs: the controller as the start command and FastPush's buildpack before the language buildpack.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Prepare an app directory for fast pushes (Cloud Foundry or Heroku).",
        discussion: """
            Detects the app's start command (manifest.yml's command, the Procfile's web process, package.json's start \
            script, or the usual start of a Python, Node.js, Ruby, Go, Java or static app), writes it to \
            cf-fastpush-controller.yml as backend_command, and shows how manifest.yml (or the Procfile, with --heroku) \
            must change: the start command becomes cf-fastpush-controller and fastpush_buildpack comes first. \
            --write makes that change, keeping the file's comments and order and a copy of it as FILE.before-fastpush. \
            No file is overwritten without --force; running it again changes nothing.
            """)

    @Argument(help: "The app directory (default: the current one).") var directory = "."
    @Flag(help: "Change manifest.yml (or the Procfile) as shown, keeping a backup.") var write = false
    @Flag(help: "Prepare the Procfile (Heroku) rather than manifest.yml.") var heroku = false
    @Option(help: "The app's start command, when it cannot be detected or is not what it finds.") var command: String?
    @Option(help: "Copy this controller binary into the app instead of using the buildpack.") var controller: String?
    @Flag(help: "Overwrite files that exist with other contents.") var force = false

    static let configFile = "cf-fastpush-controller.yml"
    static let buildpack = "fastpush_buildpack"

    func run() async throws {
        try await ClientError.exitingOnFailure {
            try PushRunner.checkDirectory(directory)
            let terminal = Terminal(environment: ProcessInfo.processInfo.environment)
            for line in try plan().apply(write: write, force: force) { terminal.print(line) }
        }
    }

    /// What init would do, found without changing anything.
    func plan() throws -> InitPlan {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        let manifestText = try? String(contentsOfFile: root + "/manifest.yml", encoding: .utf8)
        let procfileText = try? String(contentsOfFile: root + "/Procfile", encoding: .utf8)
        let manifest = manifestText.map(ManifestFile.init(text:))
        let procfile = procfileText.map(ProcfileFile.init(text:))
        let inspection = AppInspection(directory: root, manifest: manifest, procfile: procfile)
        let configPath = root + "/" + Self.configFile
        let existingBackend = (try? String(contentsOfFile: configPath, encoding: .utf8)).flatMap(InitPlan.backendCommand(in:))

        // An app prepared before has its command in the controller's file; a guess never replaces it.
        let detected = inspection.isDefault ? existingBackend ?? inspection.command : inspection.command ?? existingBackend
        guard let found = command ?? detected else {
            throw ClientError(
                "cannot tell how \(inspection.kind.described) starts here: give its start command, as you would type it in the app directory, with --command '...'")
        }
        let backend = InitPlan.execPrefixed(found)
        let source = command != nil ? "--command" : found == existingBackend ? Self.configFile : inspection.source
        let startCommand = controller == nil ? "cf-fastpush-controller" : "./cf-fastpush-controller"
        let buildpack = controller == nil ? Self.buildpack : nil

        var files: [InitPlan.FileChange] = [
            .init(
                path: configPath,
                text: "# How cf-fastpush-controller starts the app (docs/CONTROLLER.md lists every setting).\n"
                    + "backend_command: \(InitPlan.quoted(backend))\n",
                backup: false)
        ]
        if heroku || (manifest == nil && procfile != nil) {
            files.append(
                .init(path: root + "/Procfile", text: (procfile ?? ProcfileFile(text: "")).prepared(command: startCommand).text, backup: procfile != nil))
        } else if let manifest {
            files.append(
                .init(
                    path: root + "/manifest.yml",
                    text: try manifest.prepared(command: startCommand, buildpack: buildpack, finalBuildpack: inspection.kind.buildpack).text,
                    backup: true))
        } else {
            let name = URL(fileURLWithPath: root).lastPathComponent
            files.append(
                .init(
                    path: root + "/manifest.yml",
                    text: ManifestFile.new(
                        appName: name, buildpacks: [buildpack, inspection.kind.buildpack].compactMap { $0 }, command: startCommand
                    ).text,
                    backup: false))
        }
        return InitPlan(
            root: root, kind: inspection.kind, backend: backend, source: source, files: files,
            controllerBinary: controller, heroku: heroku || (manifest == nil && procfile != nil))
    }
}
