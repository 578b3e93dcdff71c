import ArgumentParser
import DeltaSync
import Glibc

/// `fastpush demo`: a push from an app directory to a "deployed" copy, through the engine, on this machine.
///
/// It builds an example app in a temporary directory, deploys a copy, edits the app the way a developer
/// does between pushes, and then brings the copy up to date with signatures and deltas, printing what
/// each file cost against uploading it whole. It ends by proving the two trees have the same root digest.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show a delta push between two local directories, then clean up.")

    @Flag(help: "Leave the temporary directory in place to look at it.") var keep = false

    func run() throws {
        let workspace = try FileTree.makeTemporaryDirectory(prefix: "fastpush-demo")
        defer { if !keep { try? FileTree.removeRecursively(workspace) } }
        let app = workspace + "/app"
        let deployed = workspace + "/deployed"
        try ExampleApp.create(at: app)
        try ExampleApp.create(at: deployed)
        print("example app in \(app), deployed copy in \(deployed)")

        try ExampleApp.edit(at: app)
        print("edited the app: one line of app.py, a byte range of model.bin, a new file, a deletion, an exec bit\n")

        var local = try TreeScanner(root: app)
        var remote = try TreeScanner(root: deployed)
        let before = try remote.scan().manifest
        let after = try local.scan().manifest
        let changes = after.diff(from: before)
        var sent = 0
        var whole = 0
        for entry in changes.added {
            let cost = try LocalPush.create(entry, from: app, into: deployed)
            sent += cost
            whole += cost
            print("[NEW]  \(entry.path)\(entry.kind == .directory ? "/" : "") (\(ByteCount(cost)))")
        }
        for entry in changes.modified {
            let summary = try LocalPush.patch(entry, from: app, into: deployed)
            sent += summary.encodedSize
            whole += entry.size
            print("[MOD]  \(entry.path) (delta \(ByteCount(summary.encodedSize)) of \(ByteCount(entry.size)))")
        }
        for entry in changes.modeChanged {
            try LocalPush.setMode(entry, in: deployed)
            print("[MODE] \(entry.path) (now \(entry.isExecutable ? "executable" : "not executable"))")
        }
        for entry in changes.removed.reversed() {
            try FileTree.removeRecursively(deployed + "/" + entry.path)
            print("[DEL]  \(entry.path)")
        }
        let result = try remote.scan().manifest
        print("\n\(changes.count) changes; sent \(ByteCount(sent)) instead of \(ByteCount(whole)) for the changed files whole")
        print("and \(ByteCount(after.totalFileSize)) for the whole app (a full upload)")
        guard result.rootDigest == after.rootDigest else {
            throw ValidationError("the deployed copy does not match the app after the push (root \(result.rootDigest.short)… vs \(after.rootDigest.short)…)")
        }
        print("deployed copy matches the app: root digest \(after.rootDigest.hex)")
    }
}

/// Applies one manifest change from an app directory to a deployed copy, the way a push would.
enum LocalPush {
    /// Creates `entry` in `target`; returns the bytes it cost.
    static func create(_ entry: ManifestEntry, from source: String, into target: String) throws -> Int {
        let path = target + "/" + entry.path
        switch entry.kind {
        case .directory:
            try FileTree.makeDirectories(path, mode: entry.mode)
            return 0
        case .symlink:
            guard symlink(entry.symlinkTarget ?? "", path) == 0 else { throw ValidationError("cannot create \(path)") }
            return entry.size
        case .file:
            let bytes = try FileTree.read(source + "/" + entry.path)
            try FileTree.write(bytes, to: path, mode: entry.mode)
            return bytes.count
        }
    }

    /// Brings the deployed copy of `entry` up to date through a signature and a delta.
    static func patch(_ entry: ManifestEntry, from source: String, into target: String) throws -> DeltaSummary {
        let deployed = target + "/" + entry.path
        let signature = try DeltaSync.Signature(file: deployed)
        let (summary, delta) = try Delta.make(
            signature: signature, from: FileReader(path: source + "/" + entry.path), to: MemorySink())
        _ = try Patch.apply(basisFile: deployed, delta: MemorySource(delta.bytes), outputFile: deployed, mode: entry.mode)
        return summary
    }

    static func setMode(_ entry: ManifestEntry, in target: String) throws {
        guard chmod(target + "/" + entry.path, mode_t(entry.mode)) == 0 else {
            throw ValidationError("cannot change the mode of \(entry.path)")
        }
    }
}
