/// What the developer asked a push to do.
struct PushOptions: Sendable {
    /// Whether the backend restarts: as the controller's rules decide, always, or never.
    enum Restart: String, Sendable {
        case rules, always, never
    }

    /// The app directory to push.
    var directory: String
    /// Change nothing; show what would be sent and the decision the controller would take.
    var dryRun = false
    var restart = Restart.rules
    /// Ignore the local cache: ask the controller for its manifest and signatures.
    var resync = false
    /// Also list what the scan skipped and where each step's time went.
    var verbose = false
    /// Use the original API (whole files, base64 in JSON) even with a controller that speaks v2: how the old
    /// plugin pushed, for comparisons.
    var legacyProtocol = false
    /// Keep pushing whenever the directory changes, until Ctrl-C.
    var watch = false
}
