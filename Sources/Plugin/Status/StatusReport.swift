import DeltaSync
import Foundation

/// What `fastpush status` and `cf fast-push-status` show: the app as its controller sees it, the last push,
/// whether the container restarted since this machine's last push, and the local changes not pushed yet.
struct StatusReport {
    let url: String
    let status: StatusAnswer?
    /// The original controller's one-word health, when that is all it says.
    let legacyHealth: String?
    let localChanges: [String]
    let lastPushedHere: PushCache.State?

    static func gather(client: ControllerClient, directory: String, cache: PushCache) async throws -> StatusReport {
        let cached = cache.load()
        switch try await client.manifest() {
        case .legacyOnly:
            return StatusReport(
                url: client.endpoint.baseURL, status: nil, legacyHealth: try await client.legacyStatus(),
                localChanges: [], lastPushedHere: cached?.state)
        case .unchanged:
            throw ClientError("the controller answered 304 to a manifest request without a digest: is \(client.endpoint.baseURL) a FastPush controller?")
        case .manifest(let server, _):
            let status = try await client.status()
            var changes: [String] = []
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue {
                let rules = try IgnoreRules.load(root: directory)
                // What the last push's scan saw spares reading and listing what did not change since.
                var scanner = try TreeScanner(root: directory, ignoreRules: rules)
                _ = cache.restoreScan(into: &scanner, root: directory)
                let local = try scanner.scan().manifest
                let remote = try PushSession.view(of: server, local: local, known: cached?.manifest, ignoreRules: rules)
                let diff = local.diff(from: remote)
                changes = (diff.added + diff.modified + diff.modeChanged).map(\.path)
                    + diff.removed.map { $0.path + " (deleted here)" }
            }
            return StatusReport(
                url: client.endpoint.baseURL, status: status, legacyHealth: nil, localChanges: changes,
                lastPushedHere: cached?.state)
        }
    }

    /// Whether the container that answers is not the one that took this machine's last push (another start
    /// time or app version): it restarted, and its files went back to what `cf push` staged.
    var containerRestartedSinceLastPush: Bool {
        guard let status, let pushed = lastPushedHere?.container else { return false }
        return status.container != pushed
    }

    func print(to terminal: Terminal) {
        terminal.print("App at \(url)")
        guard let status else {
            terminal.print("  the original Go controller: health \"\(legacyHealth ?? "")\" (it reports nothing more; deploy cf-fastpush-controller from this release for details)")
            return
        }
        let backend = status.backend
        var state = "  backend: " + terminal.paint(backend.state, backend.state == "running" ? .green : .red)
        if let pid = backend.pid { state += ", pid \(pid)" }
        if let uptime = backend.uptimeSeconds { state += ", up \(Self.age(uptime))" }
        if let restarts = backend.restarts { state += ", \(restarts) restart\(restarts == 1 ? "" : "s")" }
        if let exit = backend.lastExit { state += " (last exit: \(exit))" }
        terminal.print(state)
        if let problem = backend.problem { terminal.print("  problem: " + terminal.paint(problem, .red)) }
        if let push = status.lastPush {
            let ago = Self.age(Date().timeIntervalSince1970 - Double(push.finishedAt))
            let action = push.action ?? ((push.restarted ?? false) ? "restart" : "none")
            terminal.print("  last push: \(ago) ago, \(push.files) change\(push.files == 1 ? "" : "s"), action: \(action)")
            for reason in push.reasons ?? [] { terminal.print("    - \(reason)") }
        } else {
            terminal.print("  last push: none since the controller started")
        }
        terminal.print("  root digest: \(status.rootDigest)")
        let container = status.container
        var identity = "  container: controller started \(Self.age(Date().timeIntervalSince1970 - Double(container.controllerStartedAt))) ago"
        if let index = container.instanceIndex { identity += ", instance \(index)" }
        if let version = container.applicationVersion { identity += ", app version \(version)" }
        terminal.print(identity)
        if containerRestartedSinceLastPush {
            terminal.print(
                terminal.paint("  The container restarted since your last push: its files went back to what `cf push` staged. The next push re-sends what differs.", .yellow))
        }
        if localChanges.isEmpty {
            terminal.print("  local changes not pushed: none")
        } else {
            terminal.print("  local changes not pushed: \(localChanges.count)")
            for path in localChanges.prefix(20) { terminal.print("    \(RelativePath.displayed(path))") }
            if localChanges.count > 20 { terminal.print("    … and \(localChanges.count - 20) more") }
        }
        let output = status.recentOutput ?? []
        if !output.isEmpty {
            terminal.print("  recent output:")
            for line in output.suffix(10) { terminal.print(terminal.paint("    \(line)", .dim)) }
        }
    }

    /// "42 s", "3 min", "2 h 5 min", "3 days".
    static func age(_ seconds: Double) -> String {
        let whole = max(0, Int(seconds))
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min" }
        if whole < 86400 { return "\(whole / 3600) h \(whole % 3600 / 60) min" }
        return "\(whole / 86400) day\(whole / 86400 == 1 ? "" : "s")"
    }
}
