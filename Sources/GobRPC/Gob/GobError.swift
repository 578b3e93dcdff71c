/// A gob encoding or decoding failure. The message says what was wrong and where, so a corrupt or
/// hostile stream can be diagnosed from the error text alone.
public struct GobError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { "gob: \(message)" }

    /// The same error with a location (a field or element path) in front of the message.
    func prefixed(_ context: String) -> GobError { GobError("\(context): \(message)") }
}
