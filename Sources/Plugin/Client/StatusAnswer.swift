/// The controller's status (`GET v2/status`), as the client reads it.
struct StatusAnswer: Decodable, Sendable {
    struct Backend: Decodable, Sendable {
        var state: String
        var pid: Int32?
        var uptimeSeconds: Double?
        var restarts: Int?
        var lastExit: String?
        var problem: String?
    }

    struct LastPush: Decodable, Sendable {
        var finishedAt: Int64
        var files: Int
        var bytesWritten: Int?
        var bytesReceived: Int?
        var restarted: Bool?
        var action: String?
        var reasons: [String]?
    }

    /// Who the container is: a different start time or app version than at the last push means it restarted
    /// (and went back to what `cf push` staged).
    struct Container: Codable, Sendable, Hashable {
        var applicationVersion: String?
        var instanceIndex: String?
        var controllerStartedAt: Int64
        var controllerRun: String?
    }

    var backend: Backend
    var lastPush: LastPush?
    var rootDigest: String
    var container: Container
    var recentOutput: [String]?
}
