import DeltaSync
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The JSON answer to `POST v2/push` (keys documented in docs/CONTROLLER.md; clients rely on them).
struct PushAnswer: Encodable, Sendable {
    struct File: Encodable, Sendable {
        var path: String
        var change: String
        var bytes: Int
    }

    var dryRun: Bool
    var files: [File]
    var bytesWritten: Int
    var bytesReceived: Int
    /// The decided action: `none`, `signal`, `restart` or `full-push`.
    var action: String
    /// The signal's name (`SIGHUP`) when the action is `signal`.
    var signal: String?
    /// Whether the backend was (or, in a dry run, would be) restarted.
    var restart: Bool
    /// Which rule decided which file: `app.py (modified): *.py -> restart`.
    var reasons: [String]
    /// Where the rules came from: `.fastpush.yml, then the defaults for a Python app`.
    var rules: String
    /// The decision's commands as they ran (in a dry run: as they would run).
    var commands: [CommandReport]
    /// Why a restart or signal the rules asked for did not happen (a command failed).
    var restartSkipped: String?
    /// For a full push: which files need `cf push`, and that the files were applied anyway.
    var fullPushNeeded: String?
    var backendReady: Bool?
    var backendReadyAfterMilliseconds: Int?
    /// Why the backend did not come back, with its last output lines.
    var backendProblem: String?
    var recentOutput: [String]?
    /// The app's root digest after the push, to check against the client's.
    var rootDigest: String?
    /// Who answered, so the client can later tell from a status whether this container restarted since.
    var container: ContainerIdentity?
    /// What this controller reads beyond the formats' first versions (``WireFeature``).
    var features = WireFeature.all

    /// The answer before anything is carried out: in a dry run, what would happen; otherwise nothing has yet.
    init(result: PushResult, bytesReceived: Int, decision: PushDecision) {
        dryRun = result.dryRun
        files = result.entries.map { File(path: $0.path, change: $0.change.rawValue, bytes: $0.bytesWritten) }
        bytesWritten = result.bytesWritten
        self.bytesReceived = bytesReceived
        action = decision.actionName
        signal = decision.signalName
        restart = result.dryRun && decision.action == .restart
        reasons = decision.reasons
        rules = decision.rulesOrigin
        commands = result.dryRun ? decision.commands.map(CommandReport.notRun) : []
        fullPushNeeded = decision.fullPushNeeded(dryRun: result.dryRun)
    }
}

/// The JSON answer to a push refused with 409 (or 410 for a `held` id the controller no longer has): the error
/// in the shape of every other error answer, every conflicted path, and the id under which the operations on the
/// other paths are held for the retry (`POST v2/push?held=ID` with a bundle for the conflicted paths only).
struct ConflictAnswer: Encodable, Sendable {
    struct Message: Encodable, Sendable { var message: String }

    var error: Message
    var conflicts: [String]
    var held: String?

    init(_ error: DeltaSyncError, heldID: String) {
        self.error = Message(message: error.message)
        conflicts = error.conflictedPaths
        held = heldID
    }

    init(message: String) {
        error = Message(message: message)
        conflicts = []
        held = nil
    }
}

/// Who this container is, so a client can tell that it restarted (and reverted to what `cf push` staged)
/// since its last push.
struct ContainerIdentity: Encodable, Sendable {
    var applicationVersion: String?
    var instanceIndex: String?
    var controllerStartedAt: Int64
    /// Random for each start of the controller: two answers with the same one come from the same run, even when
    /// a restart happened within the second.
    var controllerRun: String

    init(environment: [String: String], instance: InstanceIdentity?) {
        applicationVersion = (try? VCAPApplication.read(from: environment))?.applicationVersion
        instanceIndex = instance.map { String($0.index) }
        controllerStartedAt = Int64(Date().timeIntervalSince1970)
        controllerRun = UUID().uuidString.lowercased()
    }
}

/// The JSON answer to `GET v2/status`.
struct StatusAnswer: Encodable, Sendable {
    struct Backend: Encodable, Sendable {
        var state: String
        var pid: Int32?
        var uptimeSeconds: Double?
        var restarts: Int
        var lastExit: String?
        var problem: String?

        init(_ snapshot: BackendSnapshot) {
            state = "\(snapshot.state)"
            pid = snapshot.pid
            uptimeSeconds = snapshot.uptime.map {
                Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18
            }
            restarts = snapshot.restartCount
            lastExit = snapshot.lastExitStatus.map { "\($0)" }
            problem = snapshot.lastFailure
        }
    }

    var backend: Backend
    var lastPush: PushService.LastPush?
    var rootDigest: String
    var container: ContainerIdentity
    var recentOutput: [String]
}
