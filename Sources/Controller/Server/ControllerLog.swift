import DeltaSync

/// The controller's own log lines, on standard error beside the backend's output. Tokens are never
/// passed here: messages name what was wrong with a token, not the token.
enum ControllerLog {
    static func info(_ message: String) { StandardError.writeLine("fastpush: " + message) }
    static func warning(_ message: String) { StandardError.writeLine("fastpush: warning: " + message) }
}
