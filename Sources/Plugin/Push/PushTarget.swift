/// One controller a push goes to: an app, or one instance of it.
struct PushTarget: Sendable {
    /// How the output names it: the URL, or `instance 2`.
    var label: String
    var endpoint: ControllerEndpoint
    /// Other credentials for a controller that speaks only the original API (see ``PushSession/legacyClient``).
    var legacyEndpoint: ControllerEndpoint?
}
