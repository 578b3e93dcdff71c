/// Why a push or a status request failed, said so that the developer knows what to do next.
struct ClientError: Error, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
