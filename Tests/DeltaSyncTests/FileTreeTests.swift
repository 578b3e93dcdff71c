import Dispatch
import Synchronization
import Testing

@testable import DeltaSync

/// Small file operations that several processes may run at once on the same paths.
@Suite struct FileTreeTests {
    /// Processes that share a cache folder may create it at the same moment: whoever loses the race still succeeds.
    @Test func directoriesMadeByManyAtOnceAreNoError() throws {
        let directory = try TemporaryDirectory()
        let root = directory.path
        let failures = Mutex<[String]>([])
        for round in 0..<20 {
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { try FileTree.makeDirectories(root + "/round\(round)/a/b/c") } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(try SystemCall.directoryNames(directory.file("round19/a/b")).count == 1)
    }

    @Test func aFileWhereADirectoryShouldBeIsStillAnError() throws {
        let directory = try TemporaryDirectory()
        try FileTree.write([1], to: directory.file("taken"))
        let error = #expect(throws: DeltaSyncError.self) {
            try FileTree.makeDirectories(directory.file("taken/inside"))
        }
        #expect(error?.message.contains("taken") == true)
    }
}
