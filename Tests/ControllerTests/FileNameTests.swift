import Foundation
import Glibc
import NIOHTTP1
import Testing

@testable import Controller
@testable import DeltaSync

/// Names Linux keeps apart are kept apart over HTTP too: "café" with a precomposed "é" (NFC) and with "e" plus a
/// combining accent (NFD), which Swift's `String` calls equal; and names holding a line feed or a carriage return,
/// which the newline-separated form of `v2/signatures` could not carry.
@Suite(.serialized) struct FileNameTests {
    typealias Harness = ControllerHarness

    static let composed = "static/caf\u{E9}.txt"
    static let decomposed = "static/cafe\u{301}.txt"
    static let lineFeed = "static/line\nfeed.bin"
    static let carriageReturn = "static/carriage\rreturn.bin"

    /// The signatures answer, path bytes to signature, in answer order.
    static func signatures(_ body: [UInt8]) throws -> [(path: [UInt8], signature: Signature)] {
        var reader = ByteReader(MemorySource(body), what: "signatures answer")
        var found: [(path: [UInt8], signature: Signature)] = []
        while try !reader.atEnd() {
            let path = try reader.lengthPrefixed("path", limit: RelativePath.maximumLength)
            found.append((path, try Signature(decoding: try reader.lengthPrefixed("signature", limit: 1 << 30))))
        }
        return found
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    @Test func equivalentNamesAreTwoFilesInEveryAnswerAndPush() async throws {
        try await Harness.with { harness in
            try FileTree.write(Array("composed\n".utf8), to: harness.app + "/" + Self.composed)
            try FileTree.write(Array("decomposed\n".utf8), to: harness.app + "/" + Self.decomposed)

            let manifest = try await harness.request("/_fastpush/v2/manifest")
            #expect(manifest.status == 200, "\(String(decoding: manifest.body, as: UTF8.self))")
            let entries = try Manifest(decoding: manifest.body).entries.map { Array($0.path.utf8) }
            #expect(entries.contains(Array(Self.composed.utf8)) && entries.contains(Array(Self.decomposed.utf8)))
            #expect(try await harness.request("/_fastpush/v2/status").status == 200)

            let listing = try await harness.request("/_fastpush/files")
            #expect(listing.status == 200)
            #expect(Self.contains(listing.body, Self.composed) && Self.contains(listing.body, Self.decomposed))

            let signed = try await harness.request(
                "/_fastpush/v2/signatures", method: .POST, body: PathList.encoded([Self.composed, Self.decomposed]))
            #expect(signed.status == 200)
            let found = try Self.signatures(signed.body)
            #expect(found.map(\.path) == [Array(Self.composed.utf8), Array(Self.decomposed.utf8)])
            #expect(found.map(\.signature.fileDigest) == [FileDigest(of: Array("composed\n".utf8)), FileDigest(of: Array("decomposed\n".utf8))])

            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            try FileTree.write(Array("composed, changed\n".utf8), to: local + "/" + Self.composed)
            try FileTree.write(Array("decomposed, changed\n".utf8), to: local + "/" + Self.decomposed)
            let pushed = try await harness.push(from: local)
            #expect(pushed.status == 200, "\(String(decoding: pushed.answer, as: UTF8.self))")
            #expect(try FileTree.read(harness.app + "/" + Self.composed) == Array("composed, changed\n".utf8))
            #expect(try FileTree.read(harness.app + "/" + Self.decomposed) == Array("decomposed, changed\n".utf8))
        }
    }

    @Test func namesWithLineBreaksGetTheirSignatures() async throws {
        try await Harness.with { harness in
            for name in [Self.lineFeed, Self.carriageReturn] {
                try FileTree.write(Array(name.utf8), to: harness.app + "/" + name)
            }
            let signed = try await harness.request(
                "/_fastpush/v2/signatures", method: .POST, body: PathList.encoded([Self.lineFeed, Self.carriageReturn]))
            #expect(signed.status == 200)
            #expect(try Self.signatures(signed.body).map(\.path) == [Array(Self.lineFeed.utf8), Array(Self.carriageReturn.utf8)])
        }
    }

    /// Released clients send newline-separated paths; a name ending in a carriage return is one of them (a
    /// line feed after it once made one `Character` of the two, and the name was lost).
    @Test func theNewlineSeparatedFormOfReleasedClientsIsStillAnswered() async throws {
        try await Harness.with { harness in
            let name = "static/ends-in\r"
            try FileTree.write(Array("cr".utf8), to: harness.app + "/" + name)
            let signed = try await harness.request(
                "/_fastpush/v2/signatures", method: .POST, body: Array("\(name)\nstatic/page.css\napp.py".utf8))
            #expect(signed.status == 200, "\(String(decoding: signed.body, as: UTF8.self))")
            #expect(try Self.signatures(signed.body).map(\.path) == [name, "static/page.css", "app.py"].map { Array($0.utf8) })
        }
    }
}
