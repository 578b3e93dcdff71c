import DeltaSync
import Dispatch
import Synchronization

/// Signatures being made on other threads while a push waits for the server, so that keeping them once the result
/// is printed costs no wait: those of the large files of a push that keeps every file's signature.
///
/// The files are read again (the scan has just read them, so from the page cache) on every core. A signature is
/// kept only if it describes the content the scan found: a file that changed since holds content no server has.
final class PendingSignatures: Sendable {
    private let signatures = Mutex<[FileDigest: Signature]>([:])
    private let done = DispatchGroup()

    /// Starts signing `files` (paths relative to `directory`, with the digest the scan found for each), leaving
    /// out content for which `isKept` says a signature is kept already.
    init(
        files: [(path: String, digest: FileDigest)], in directory: String,
        isKept: @escaping @Sendable (FileDigest) -> Bool
    ) {
        done.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let needed = files.filter { !isKept($0.digest) }
            let made = Signature.signatures(ofFiles: needed.map { directory + "/" + $0.path })
            var found: [FileDigest: Signature] = [:]
            for (file, result) in zip(needed, made) {
                if case .success(let signature) = result, signature.fileDigest == file.digest {
                    found[file.digest] = signature
                }
            }
            signatures.withLock { $0 = found }
            done.leave()
        }
    }

    /// The signatures made, by the digest of their content, once all are made.
    func wait() -> [FileDigest: Signature] {
        done.wait()
        return signatures.withLock { $0 }
    }
}
