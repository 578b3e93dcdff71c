/// An error from the DeltaSync engine, worded for the person who has to act on it.
///
/// Errors are a struct over an open set of ``Code`` values rather than an enum, so new kinds of failure
/// can be added without breaking callers that switch over them.
public struct DeltaSyncError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, for callers that react differently to each.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Storage: Hashable, Sendable {
            case io, truncated, corrupt, unsupported, limitExceeded, digestMismatch, basisMismatch, invalidArgument,
                invalidPath, conflict, insufficientStorage
        }
        let storage: Storage

        /// A system call failed (see ``DeltaSyncError/errno``).
        public static let io = Code(storage: .io)
        /// Encoded data ended before its structure did.
        public static let truncated = Code(storage: .truncated)
        /// Encoded data is malformed: wrong magic, impossible values, inconsistent lengths.
        public static let corrupt = Code(storage: .corrupt)
        /// Encoded data uses a version or feature this build does not know.
        public static let unsupported = Code(storage: .unsupported)
        /// Input exceeds a limit set to keep hostile data from exhausting memory or disk.
        public static let limitExceeded = Code(storage: .limitExceeded)
        /// A rebuilt file does not have the digest its delta promised; nothing was replaced.
        public static let digestMismatch = Code(storage: .digestMismatch)
        /// A delta was applied to a basis other than the one its signature describes.
        public static let basisMismatch = Code(storage: .basisMismatch)
        /// A caller passed a value outside what the operation accepts.
        public static let invalidArgument = Code(storage: .invalidArgument)
        /// A path is absolute, escapes its root, or is otherwise unsafe.
        public static let invalidPath = Code(storage: .invalidPath)
        /// What is on disk is not what a push expected to replace; nothing was changed.
        public static let conflict = Code(storage: .conflict)
        /// The file system (or the user's quota) has no room for what a push writes; nothing was changed.
        public static let insufficientStorage = Code(storage: .insufficientStorage)

        public var description: String { "\(storage)" }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence that says what happened and, where there is one, what to do.
    public let message: String
    /// The `errno` of the failed system call, for ``Code/io`` errors.
    public let errno: Int32?
    /// For ``Code/conflict`` errors from a push: every path whose precondition failed, in bundle order.
    public let conflictedPaths: [String]

    package init(_ code: Code, _ message: String, errno: Int32? = nil, conflictedPaths: [String] = []) {
        self.code = code
        self.message = message
        self.errno = errno
        self.conflictedPaths = conflictedPaths
    }

    public var description: String { message }
}
