import DeltaSync
import Foundation

/// The JSON answer to `POST v2/push`.
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
    /// Whether the backend was (or, in a dry run, would be) restarted, and which rule fired for which file.
    var restart: Bool
    var reasons: [String]
    var backendReady: Bool?
    var backendReadyAfterMilliseconds: Int?
    /// Why the backend did not come back, with its last output lines.
    var backendProblem: String?
    var recentOutput: [String]?
    /// The app's root digest after the push, to check against the client's.
    var rootDigest: String?

    init(result: PushResult, bytesReceived: Int, restart: Bool, reasons: [String]) {
        dryRun = result.dryRun
        files = result.entries.map { File(path: $0.path, change: $0.change.rawValue, bytes: $0.bytesWritten) }
        bytesWritten = result.bytesWritten
        self.bytesReceived = bytesReceived
        self.restart = restart
        self.reasons = reasons
    }
}

/// Who this container is, so a client can tell that it restarted (and reverted to what `cf push` staged)
/// since its last push.
struct ContainerIdentity: Encodable, Sendable {
    var applicationVersion: String?
    var instanceIndex: String?
    var controllerStartedAt: Int64

    init(environment: [String: String]) {
        applicationVersion = Self.application(environment)?["application_version"] as? String
        instanceIndex = environment["CF_INSTANCE_INDEX"]
        controllerStartedAt = Int64(Date().timeIntervalSince1970)
    }

    /// The app's GUID, from `VCAP_APPLICATION`.
    static func applicationID(environment: [String: String]) -> String? {
        (application(environment)?["application_id"] as? String).flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func application(_ environment: [String: String]) -> [String: Any]? {
        environment["VCAP_APPLICATION"].flatMap { text in
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        }
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
