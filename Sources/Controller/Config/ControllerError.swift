import DeltaSync

/// An error from the controller, worded for the person who has to act on it: what was wrong, and what to do.
///
/// Like `DeltaSyncError`, a struct over an open set of ``Code`` values, so new kinds of failure do not break
/// callers; the HTTP layer maps each code to a status (``Code/invalidRequest`` and ``Code/invalidPath`` to 400,
/// ``Code/conflict`` to 409, ``Code/limitExceeded`` to 413, ``Code/io`` to 500, ``Code/insufficientStorage`` to
/// 507) and start-up reports ``Code/configuration`` and exits.
struct ControllerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, for callers that react differently to each.
    struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Storage: Hashable, Sendable {
            case configuration, invalidRequest, invalidPath, limitExceeded, io, conflict, insufficientStorage
        }
        let storage: Storage

        /// A setting in the config file or the environment is malformed; the controller cannot start.
        static let configuration = Code(storage: .configuration)
        /// A request body is malformed (not JSON of the expected shape, bad base64, duplicate paths).
        static let invalidRequest = Code(storage: .invalidRequest)
        /// A path from the network is unsafe: absolute, `..`, outside the backend directories, or through a
        /// symlink.
        static let invalidPath = Code(storage: .invalidPath)
        /// A request is larger than the configured limit.
        static let limitExceeded = Code(storage: .limitExceeded)
        /// Reading or writing the app's files failed.
        static let io = Code(storage: .io)
        /// A file changed on the server between the checks and the write; nothing was written.
        static let conflict = Code(storage: .conflict)
        /// The app's file system (or its quota) is full; nothing was written.
        static let insufficientStorage = Code(storage: .insufficientStorage)

        /// The controller's kind of an engine failure.
        init(_ code: DeltaSyncError.Code) {
            switch code {
            case .insufficientStorage: self = .insufficientStorage
            case .conflict: self = .conflict
            case .invalidPath: self = .invalidPath
            case .limitExceeded: self = .limitExceeded
            case .io: self = .io
            default: self = .invalidRequest
            }
        }

        private init(storage: Storage) { self.storage = storage }

        var description: String { "\(storage)" }
    }

    /// What kind of failure this is.
    let code: Code
    /// A sentence that says what happened and, where there is one, what to do.
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}
