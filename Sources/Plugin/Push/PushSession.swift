import Controller
import DeltaSync
import Foundation

/// One push from an app directory to a controller, in as few requests as the cache allows.
///
/// Steady state (the cache knows what the server has): one request, the bundle, whose per-file
/// preconditions the server checks. Nothing changed locally: one small manifest request with the server's
/// last root digest, answered 304. No cache, `--resync`, or a failed precondition: the server's manifest, the
/// signatures of just the files that differ, then the bundle. An answer from another container run than the
/// cache knows (the container restarted and went back to its staged files) starts one more round that re-sends
/// everything that differs. After a conflict, a controller that holds the rest of the refused push gets only
/// what must change from it (``HeldPush``): a conflict costs the files that conflicted, not the whole push again.
struct PushSession {
    let client: ControllerClient
    /// The client for a controller that speaks only the original API, when it needs other credentials (the
    /// app's GUID, under cf); `nil` uses ``client``.
    var legacyClient: ControllerClient? = nil
    let cache: PushCache
    let options: PushOptions
    let terminal: Terminal
    /// The scanner of the last push from this directory in this process (`--watch`), whose next scan reuses what did
    /// not change since; `nil` restores the last scan from the scan memory file.
    var scanners: ScannerKeeper? = nil

    /// What the push came to.
    struct Outcome {
        /// The controller's answer; `nil` when there was nothing to push or the controller is a legacy one.
        var answer: PushAnswer?
        /// HTTP requests made.
        var requests = 0
        /// Bytes uploaded: the bodies of every request (signature requests and the bundle).
        var bytesSent = 0
        /// Bytes downloaded: the bodies of every answer (manifests, signatures, the push answer, the status).
        var bytesReceived = 0
        /// Whether everything went as asked (files applied, commands succeeded, the app came back).
        var succeeded = true
        /// The server's root digest afterwards, when known: equal digests mean equal trees.
        var rootDigest: String?
        /// Files the scan read and hashed (the others were vouched for by the last scan).
        var hashedFiles = 0
    }

    func run() async throws -> Outcome {
        let traffic = TrafficCounter()
        var outcome = try await run(counting: traffic)
        (outcome.bytesSent, outcome.bytesReceived) = (traffic.sent, traffic.received)
        return outcome
    }

    private func run(counting traffic: TrafficCounter) async throws -> Outcome {
        let started = ContinuousClock.now
        let ignoreRules = try IgnoreRules.load(root: options.directory)
        // `--resync` trusts nothing local either: every file is read again.
        var scanner: TreeScanner
        /// The manifest of the scan before this one with the digest of its bytes, when known: it may be the one last
        /// pushed.
        var lastScanned: (manifest: Manifest, manifestDigest: FileDigest)?
        if !options.resync, let kept = scanners?.take(root: options.directory, ignoreRules: ignoreRules) {
            (scanner, lastScanned) = kept
        } else {
            scanner = try TreeScanner(root: options.directory, ignoreRules: ignoreRules)
            if !options.resync { lastScanned = cache.restoreScan(into: &scanner, root: options.directory) }
        }
        scanner.signing = scanSigning
        let scan = try scanner.scan()
        /// The binary form of the scan's manifest, when storing the scan made it: saved again after a push.
        var encodedLocal: [UInt8]?
        if !scan.reusedEverything {
            do {
                encodedLocal = try cache.storeScan(of: scanner, root: options.directory)
            } catch {
                if options.verbose { terminal.print("warning: could not save the scan in \(cache.directory) (\(error)); the next push will read every file") }
            }
        }
        // The digest of this manifest's bytes: of those just stored, or the last scan's when this one took it whole.
        scanners?.keep(
            scanner,
            manifestDigest: encodedLocal.map { FileDigest(of: $0) } ?? (scan.reusedEverything ? lastScanned?.manifestDigest : nil))
        if options.verbose {
            for skipped in scan.skipped {
                terminal.print("[SKIP] \(RelativePath.displayed(skipped.path)): \(skipped.reason)")
            }
            terminal.print("scanned \(scan.manifest.fileCount) files (\(scan.hashedFiles) hashed) in \(Self.seconds(since: started))")
        }
        let local = scan.manifest
        var outcome = Outcome(hashedFiles: scan.hashedFiles)
        let client = self.client.counting(into: traffic)
        let legacyClient = self.legacyClient?.counting(into: traffic)
        if options.legacyProtocol {
            return try await LegacyPush(client: legacyClient ?? client, options: options, terminal: terminal).run(local: local)
        }
        let cached = options.resync ? nil : cache.load(reusing: lastScanned)
        let known = cached?.manifest

        var remote: Manifest
        var serverRoot = cached?.state.serverRootDigest
        // What the controller reads beyond the formats' first versions, as it last said.
        var features = cached?.state.features ?? []
        var caughtUp = false
        if let cached, !options.resync, local.diff(from: cached.manifest).isEmpty {
            // Nothing changed here since the last push: one small request confirms the server still has it.
            outcome.requests += 1
            let root = cached.state.serverRootDigest.flatMap { FileDigest(hex: $0) }
            switch try await client.manifest(ifNoneMatch: root) {
            case .unchanged:
                terminal.print("Nothing to push: the app is up to date with \(options.directory).")
                outcome.rootDigest = cached.state.serverRootDigest
                return outcome
            case .legacyOnly:
                return try await LegacyPush(client: legacyClient ?? client, options: options, terminal: terminal).run(local: local)
            case .manifest(let server, let skipped):
                reportSkipped(skipped)
                // The server changed although nothing here did: the app wrote files, someone else pushed, or the
                // container restarted and went back to what `cf push` staged, which only the status tells.
                serverRoot = server.rootDigest.hex
                outcome.requests += 1
                var restarted = false
                if let before = cached.state.container, let now = try? await client.status().container {
                    restarted = now != before
                }
                if restarted {
                    caughtUp = true
                    terminal.print(
                        terminal.paint("The container restarted since the last push", .yellow)
                            + " (its files went back to what `cf push` staged); re-sending everything that differs.")
                }
                remote = try Self.view(of: server, local: local, known: restarted ? nil : known, ignoreRules: ignoreRules)
            }
        } else if let known {
            remote = known
        } else {
            guard let server = try await serverView(of: local, known: nil, ignoreRules: ignoreRules, client: client, requests: &outcome.requests) else {
                return try await LegacyPush(client: legacyClient ?? client, options: options, terminal: terminal).run(local: local)
            }
            (remote, serverRoot, features) = (server.view, server.rootDigest, server.features)
        }

        var conflicts = 0
        var held: HeldPush?
        while true {
            let diff = local.diff(from: remote)
            if diff.isEmpty {
                let cost = " (\(ByteCount(traffic.sent)) sent, \(ByteCount(traffic.received)) received)"
                terminal.print(
                    (caughtUp ? "The container is up to date again." : "Nothing to push: the app is up to date with \(options.directory).")
                        + cost)
                if !options.dryRun {
                    try saveCache(local, encoded: encodedLocal, serverRoot: serverRoot, container: outcome.answer?.container, features: features)
                    // Knowing nothing of the server before (the first push after `cf push`), keep the signatures a
                    // push that sent files would have left, once the result is printed: otherwise the first edit
                    // of each large file costs a signature request.
                    if known == nil || caughtUp { storeSignatures(of: local.entries.map(\.path), in: local, signed: scan.signatures) }
                }
                outcome.rootDigest = serverRoot
                return outcome
            }
            // Completing a held push: only the paths the controller does not hold as this push needs them.
            var (sending, against) = (local, remote)
            if let held {
                let send = held.pathsToSend(diff, remote: remote)
                sending = try Manifest(entries: local.entries.filter { send.contains(PathKey($0.path)) })
                against = try Manifest(entries: remote.entries.filter { send.contains(PathKey($0.path)) })
            }
            var signatures: [PathKey: Signature] = [:]
            var wanted: [String] = []
            for entry in sending.diff(from: against).modified where entry.kind == .file {
                if let digest = remote[entry.path]?.digest, let signature = cache.signature(for: digest) {
                    signatures[PathKey(entry.path)] = signature
                } else if (remote[entry.path]?.size ?? 0) >= Self.smallestFileWorthASignature {
                    wanted.append(entry.path)
                }
            }
            if !wanted.isEmpty {
                outcome.requests += 1
                for (path, signature) in try await client.signatures(for: wanted) {
                    signatures[path] = signature
                    try? cache.store(signature)
                }
            }
            // Files sent whole share a dictionary when the controller reads one; a held push's completion uses its.
            let dictionary: PushPlanner.Dictionary =
                held.map { .exactly($0.dictionary) } ?? (features.contains(WireFeature.sharedDictionary) ? .automatic : .none)
            let plan = try PushPlanner(localRoot: options.directory).plan(
                local: sending, remote: against, signatures: signatures, dictionary: dictionary)
            let items = held?.items(besides: plan.items) ?? plan.items
            let bundle = plan.bundle.encoded()
            outcome.requests += 1
            var uploading = client
            let terminal = self.terminal
            uploading.uploadProgress = { done, total in terminal.progress(done, of: total) }
            switch try await uploading.push(bundle, dryRun: options.dryRun, restart: options.restart, completing: held?.id) {
            case .applied(let answer):
                outcome.answer = answer
                outcome.rootDigest = answer.rootDigest
                let report = PushReport(
                    items: items, answer: answer, bytesSent: traffic.sent, bytesReceived: traffic.received,
                    requests: outcome.requests,
                    elapsed: ContinuousClock.now - started)
                outcome.succeeded = report.print(to: terminal) && outcome.succeeded
                guard !options.dryRun else { return outcome }
                if !caughtUp, let before = cached?.state.container, let now = answer.container, before != now {
                    // The container is not the one the cache describes: it restarted and its files went back to
                    // what `cf push` staged, also files this push did not touch. Compare everything once more.
                    caughtUp = true
                    terminal.print(
                        terminal.paint("The container restarted since the last push", .yellow)
                            + " (its files went back to what `cf push` staged); re-sending everything that differs.")
                    guard let server = try await serverView(of: local, known: nil, ignoreRules: ignoreRules, client: client, requests: &outcome.requests) else {
                        throw Self.noLongerAFastPushController
                    }
                    (remote, serverRoot, features) = (server.view, server.rootDigest, server.features)
                    continue
                }
                try saveCache(local, encoded: encodedLocal, serverRoot: answer.rootDigest, container: answer.container, features: answer.features ?? [])
                storeSignatures(of: known == nil || caughtUp ? local.entries.map(\.path) : items.filter { $0.change != .deleted }.map(\.path), in: local, signed: scan.signatures)
                return outcome
            case .conflict(let conflict):
                conflicts += 1
                guard conflicts == 1 else {
                    throw ClientError("the app's files changed while pushing (\(conflict.message)); nothing was written. Push again.")
                }
                terminal.print("The app's files are not what the last push left (\(conflict.message)); reading them and pushing again.")
                if let id = conflict.held, !conflict.paths.isEmpty {
                    held = HeldPush(id: id, refused: plan, conflicted: conflict.paths)
                }
                cache.clear()
                guard let server = try await serverView(of: local, known: known, ignoreRules: ignoreRules, client: client, requests: &outcome.requests) else {
                    throw Self.noLongerAFastPushController
                }
                (remote, serverRoot, features) = (server.view, server.rootDigest, server.features)
            case .bundleNotUnderstood(let why):
                // The controller was replaced by an older one since the cache learnt what it reads.
                guard !features.isEmpty else { throw ClientError("the controller refused the push: \(why)") }
                features = []
            case .heldPushGone(let why):
                terminal.print("The controller no longer holds the rest of the push (\(why)); sending it whole.")
                held = nil
            }
        }
    }

    /// What the server has, as ``view(of:local:known:ignoreRules:)`` shows it to this push, learnt in proportion to
    /// what differs: the client sends a ``TreeSummary`` of its tree (10 bytes a directory) and the server answers
    /// with its tree where that differs (``TreeDifference``). Directories the server named without describing them
    /// (the client has nothing there) cost a second round only when the push must look inside them, to delete
    /// them. An answer that does not add up to the server's root digest, a tree that changed in between, and a
    /// controller older than the exchange get the whole manifest instead. `nil`: the controller speaks only the
    /// original API.
    private func serverView(
        of local: Manifest, known: Manifest?, ignoreRules: IgnoreRules, client: ControllerClient, requests: inout Int
    ) async throws -> (view: Manifest, rootDigest: String, features: [String])? {
        requests += 1
        var features: [String] = []
        var reported = false
        if let answer = try await client.difference(for: TreeSummary(of: local)) {
            let difference = answer.difference
            features = answer.features
            reportSkipped(answer.skipped)
            reported = true
            do {
                var tree = try RemoteTree(local: local, difference: difference)
                var view = try Self.view(of: tree.manifest, local: local, known: known, ignoreRules: ignoreRules)
                let unfolding = tree.folded.keys.map(\.path).filter { view[$0] != nil }
                if !unfolding.isEmpty {
                    requests += 1
                    if let rest = try await client.difference(for: TreeSummary(everythingUnder: unfolding)) {
                        try tree.unfold(with: rest.difference)
                        view = try Self.view(of: tree.manifest, local: local, known: known, ignoreRules: ignoreRules)
                    }
                }
                if tree.folded.keys.allSatisfy({ view[$0.path] == nil }) { return (view, difference.rootDigest.hex, features) }
            } catch let error as DeltaSyncError {
                if options.verbose { terminal.print("warning: \(error.message); reading the app's whole manifest instead") }
            }
            requests += 1
        }
        switch try await client.manifest() {
        case .legacyOnly:
            return nil
        case .unchanged:
            throw ClientError("the controller answered 304 to a manifest request without a digest: is \(client.endpoint.baseURL) a FastPush controller?")
        case .manifest(let server, let skipped):
            if !reported { reportSkipped(skipped) }
            return (try Self.view(of: server, local: local, known: known, ignoreRules: ignoreRules), server.rootDigest.hex, features)
        }
    }

    /// Says what the controller's tree leaves out because it cannot read it: a push neither changes nor deletes it.
    private func reportSkipped(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        terminal.print(terminal.paint("The controller cannot read some of the app's files", .yellow) + "; a push leaves them as they are:")
        // The controller's words: printed with their control characters escaped, as anything from the network.
        for line in lines { terminal.print("  [SKIP] \(RelativePath.escapingControlCharacters(line))") }
    }

    /// The part of the server's tree a push is about: not what the local ignore rules hide (the server may
    /// hold installed dependencies or caches there). When the client knows what it left on the server, files it
    /// never knew about (written by the app itself: logs, caches, uploads) are left out too, so a push never
    /// deletes them; without that knowledge (first push, `--resync`) the server is made to match the directory,
    /// as `cf push` would.
    static func view(of server: Manifest, local: Manifest, known: Manifest?, ignoreRules: IgnoreRules) throws -> Manifest {
        try Manifest(
            entries: server.entries.filter { entry in
                if entry.path.hasPrefix(BundleApplier.stagingPrefix) { return false }
                if ignoreRules.isIgnored(entry.path, isDirectory: entry.kind == .directory) { return false }
                guard let known else { return true }
                return local[entry.path] != nil || known[entry.path] != nil
            })
    }

    /// Records what the server has after a push: `manifest`, whose binary form is `encoded` when already known.
    private func saveCache(
        _ manifest: Manifest, encoded: [UInt8]?, serverRoot: String?, container: StatusAnswer.Container? = nil,
        features: [String]
    ) throws {
        do {
            try cache.save(
                manifest, encoded: encoded,
                state: .init(
                    url: client.endpoint.baseURL, serverRootDigest: serverRoot,
                    container: container ?? cache.loadState()?.container,
                    pushedAt: Int64(Date().timeIntervalSince1970), features: features))
        } catch {
            terminal.print("warning: could not save the push cache in \(cache.directory) (\(error)); the next push will read the app's manifest again")
        }
    }

    /// Keeps the signatures of `paths` as the server now has them (the files just sent; after a push without a
    /// cache, every file), so that their next change travels as a delta in one request: of each file of 8 KiB or
    /// more whose content the store lacks, the signature the scan computed while hashing it (`signed`), else one
    /// computed now, with the fine blocks of a signature that stays here (``SignatureParameters/forKeptSignature(size:)``);
    /// all in one append to the store.
    private func storeSignatures(of paths: [String], in local: Manifest, signed: [FileDigest: Signature]) {
        let started = ContinuousClock.now
        var adding: [FileDigest: Signature] = [:]
        var inUse = Set<FileDigest>()
        for path in paths {
            guard let entry = local[path], entry.kind == .file, entry.size >= Self.smallestFileWorthASignature,
                let digest = entry.digest
            else { continue }
            inUse.insert(digest)
            // A file that changed since the scan has content the server does not: its signature is of no use.
            guard adding[digest] == nil, !cache.hasSignature(for: digest),
                let signature = signed[digest]
                    ?? (try? Signature(file: options.directory + "/" + path, parameters: .forKeptSignature(size: entry.size))),
                signature.fileDigest == digest
            else { continue }
            adding[digest] = signature
        }
        do {
            try cache.store(Array(adding.values), inUse: inUse)
            if options.verbose { terminal.print("kept \(adding.count) signatures in \(Self.seconds(since: started))") }
        } catch {
            if options.verbose {
                terminal.print("warning: could not keep signatures in \(cache.root) (\(error)); the next push may ask the server for them")
            }
        }
    }

    /// What the scan signs as it reads, from the bytes it hashes: when the push will keep the signature of every
    /// file (no manifest cached for this controller, or `--resync`), the files of 8 KiB or more whose content the
    /// store lacks, so that none is read twice. A push from the cache keeps only those of the files it sends, few,
    /// read again afterwards: signing every file its scan reads (all of them when the scan memory cannot vouch for
    /// any) would be wasted.
    private var scanSigning: TreeScanner.Signing? {
        guard !options.dryRun, !options.legacyProtocol, options.resync || !cache.hasManifest else { return nil }
        return TreeScanner.Signing(
            minimumSize: Self.smallestFileWorthASignature, isNeeded: { [cache] digest in !cache.hasSignature(for: digest) },
            parameters: SignatureParameters.forKeptSignature)
    }

    static let noLongerAFastPushController = ClientError("the controller stopped answering manifest requests: is it still a FastPush controller?")

    /// Below this size a changed file travels whole (deflated) rather than costing a signature round trip.
    static let smallestFileWorthASignature = 8 << 10

    static func seconds(since start: ContinuousClock.Instant) -> String {
        seconds(ContinuousClock.now - start)
    }

    static func seconds(_ duration: Duration) -> String { duration.forPeople }
}
