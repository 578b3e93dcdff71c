import ArgumentParser
import DeltaSync


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

        // The deployed side signs the files that differ; the app side plans a bundle of deltas against
        // those signatures; the deployed side checks and applies the bundle as one batch.
        let changed = after.diff(from: before).modified.filter { $0.kind == .file }
        var signatures: [String: DeltaSync.Signature] = [:]
        for entry in changed { signatures[entry.path] = try DeltaSync.Signature(file: deployed + "/" + entry.path) }
        let signatureBytes = signatures.values.reduce(0) { $0 + $1.encodedSize }
        let plan = try PushPlanner(localRoot: app).plan(local: after, remote: before, signatures: signatures)
        let bundle = plan.bundle.encoded()
        let result = try BundleApplier(root: deployed).apply(PushBundle(decoding: bundle))

        for item in plan.items { print(PushLine(item)) }
        let wholeFiles = plan.items.filter { $0.change != .deleted }.reduce(0) { $0 + $1.fileSize }
        print("\n\(plan.items.count) changes in one bundle of \(ByteCount(bundle.count)) (+ \(ByteCount(signatureBytes)) of signatures);")
        print("the changed files whole are \(ByteCount(wholeFiles)), the whole app \(ByteCount(after.totalFileSize))")
        print("applied as one batch: \(result.entries.count) changes, \(ByteCount(result.bytesWritten)) written")
        let check = try remote.scan().manifest
        guard check.rootDigest == after.rootDigest else {
            throw ValidationError("the deployed copy does not match the app after the push (root \(check.rootDigest.short)… vs \(after.rootDigest.short)…)")
        }
        print("deployed copy matches the app: root digest \(after.rootDigest.hex)")
    }
}

