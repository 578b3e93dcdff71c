import Controller
import DeltaSync
import Foundation

/// A push to a controller that only speaks the original API (`GET/PUT /files`): changed files travel whole,
/// base64 in JSON, and the controller decides about restarting by its `restart_regex`. The API has no
/// deletions, so files deleted here stay on the server, and the push says so.
struct LegacyPush {
    let client: ControllerClient
    let options: PushOptions
    let terminal: Terminal

    func run(local: Manifest) async throws -> PushSession.Outcome {
        terminal.print(
            terminal.paint("This controller speaks only the original API (v1): changed files go whole, deletions and exec bits are not sent.", .yellow))
        var outcome = PushSession.Outcome()
        let started = ContinuousClock.now
        let server = try await client.legacyChecksums()
        outcome.requests += 1
        var files: [PathKey: LegacyFileEntry] = [:]
        var lines: [String] = []
        for entry in local.entries where entry.kind == .file {
            let path = options.directory + "/" + entry.path
            let checksum = try LegacyFileAPI.sha256(ofFile: path)
            guard server[entry.path] != checksum else { continue }
            files[PathKey(entry.path)] = LegacyFileEntry(
                checksum: checksum, modification: entry.modificationTime / 1_000_000_000, content: try FileTree.read(path))
            lines.append("\(server[entry.path] == nil ? "[NEW]" : "[MOD]")  \(RelativePath.displayed(entry.path)) (\(ByteCount(entry.size)), sent whole as base64)")
        }
        for path in server.keys.sorted() where local[path] == nil {
            lines.append("[KEEP] \(path) (deleted here; the original API cannot delete it)")
        }
        for line in lines { terminal.print(line) }
        guard !files.isEmpty else {
            terminal.print("Nothing to push: the app already has every file of \(options.directory).")
            return outcome
        }
        let body = LegacyJSON.encode(files: files)
        guard !options.dryRun else {
            terminal.print("Dry run: \(files.count) files (\(ByteCount(body.count)) of JSON) would be sent; nothing was changed.")
            return outcome
        }
        var uploading = client
        let terminal = self.terminal
        uploading.uploadProgress = { done, total in terminal.progress(done, of: total) }
        let health = try await uploading.legacyUpload(body)
        outcome.requests += 1
        outcome.bytesSent = body.count
        terminal.print("\(files.count) files pushed whole: \(ByteCount(body.count)) sent, \(outcome.requests) requests, \(PushSession.seconds(since: started))")
        terminal.print("The controller says: \(health)")
        return outcome
    }
}
