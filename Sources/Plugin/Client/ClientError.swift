import ArgumentParser

/// Why a push or a status request failed, said so that the developer knows what to do next.
struct ClientError: Error, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }

    /// A failure whose reasons were already printed (a push that was refused or whose app did not come back).
    static let reported = ClientError("")

    /// Prints the failure in the style of the face the binary shows: inside cf, cf's own `FAILED` line and then the
    /// message; standalone, `fastpush: message`. Both on standard error, each line ended.
    func print(insideCF: Bool) {
        if insideCF {
            printError(message.isEmpty ? "FAILED" : "FAILED\n\(message)")
        } else if !message.isEmpty {
            printError("fastpush: \(message)")
        }
    }

    /// Runs a standalone command's work: a failure is printed as `fastpush: …` and the command exits with 1.
    static func exitingOnFailure(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as ClientError {
            error.print(insideCF: false)
            throw ExitCode(1)
        }
    }
}
