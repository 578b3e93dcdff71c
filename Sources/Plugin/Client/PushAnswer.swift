/// The controller's answer to a push (`POST v2/push`), as the client reads it. Every key but the files is
/// optional, so an older or newer controller's answer still reads.
struct PushAnswer: Decodable, Sendable {
    struct File: Decodable, Sendable {
        var path: String
        var change: String
        var bytes: Int
    }

    /// A command the restart rules ran before restarting.
    struct Command: Decodable, Sendable {
        var command: String
        var succeeded: Bool
        var exitStatus: String?
        var output: [String]?
        var seconds: Double?
    }

    var dryRun: Bool?
    var files: [File]
    var bytesWritten: Int?
    var bytesReceived: Int?
    /// `none`, `signal`, `restart` or `full-push`.
    var action: String?
    var signal: String?
    var restart: Bool?
    var reasons: [String]?
    var rules: String?
    var commands: [Command]?
    var restartSkipped: String?
    var fullPushNeeded: String?
    var backendReady: Bool?
    var backendReadyAfterMilliseconds: Int?
    var backendProblem: String?
    var recentOutput: [String]?
    var rootDigest: String?
    var container: StatusAnswer.Container?
    /// What the controller reads beyond the formats' first versions (``WireFeature``); absent from older ones.
    var features: [String]?
}
