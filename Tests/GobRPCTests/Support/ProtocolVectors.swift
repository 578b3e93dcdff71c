import Foundation
import GobRPC

/// The captured cf plugin traffic in `Tests/GobRPCTests/Vectors` (its README says what each file holds), found
/// relative to this source file so the tests read nothing outside the package.
enum ProtocolVectors {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // GobRPCTests
        .appendingPathComponent("Vectors")

    /// Plugin runs under a real cf CLI: `PID-connNN.txt`, `PID-argv.txt`, `PID-exit.txt`.
    static var captured: URL { root.appendingPathComponent("captured") }
    /// One run against a Go `net/rpc` server with cf's types: `connNN.txt`.
    static var synthetic: URL { root.appendingPathComponent("synthetic") }
    /// Single exchanges cut out of the captures: one length-prefixed gob message per line, in hex.
    static var messages: URL { root.appendingPathComponent("messages") }

    /// The metadata the captured plugin sent to cf on install (`SetPluginMetadata` in the vectors).
    static let installedMetadata = PluginMetadata(
        name: "fast-push", version: PluginVersion(major: 1, minor: 2, build: 3),
        minCliVersion: PluginVersion(major: 6, minor: 7),
        commands: [
            PluginCommand(
                name: "fast-push", alias: "fp", helpText: "Push fast",
                usageDetails: PluginUsage(usage: "cf fast-push APP", options: ["-r": "restart"]))
        ])

    /// One TCP connection: the plugin's bytes and cf's bytes.
    struct Connection {
        let name: String
        let clientToServer: [UInt8]
        let serverToClient: [UInt8]
    }

    static func connection(_ url: URL) throws -> Connection {
        let text = try String(contentsOf: url, encoding: .utf8)
        var c2s: [UInt8]?
        var s2c: [UInt8]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            let hex = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
            switch parts[0] {
            case "C2S": c2s = try bytes(hex: hex)
            case "S2C": s2c = try bytes(hex: hex)
            default: throw VectorError("unexpected line in \(url.lastPathComponent): \(line.prefix(20))")
            }
        }
        guard let c2s, let s2c else { throw VectorError("\(url.lastPathComponent) lacks a C2S or S2C line") }
        return Connection(name: url.lastPathComponent, clientToServer: c2s, serverToClient: s2c)
    }

    /// Every `*connNN.txt` of a directory, sorted by name.
    static func connections(in directory: URL, prefix: String = "") throws -> [Connection] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix(prefix) && $0.contains("conn") && $0.hasSuffix(".txt") }
            .sorted()
            .map { try connection(directory.appendingPathComponent($0)) }
    }

    /// The captured plugin runs: connection files grouped by their process prefix ("18653").
    static func processes() throws -> [String: [Connection]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: captured.path).filter { $0.contains("-conn") }
        let prefixes = Set(names.map { String($0.split(separator: "-")[0]) })
        var result: [String: [Connection]] = [:]
        for prefix in prefixes { result[prefix] = try connections(in: captured, prefix: prefix + "-") }
        return result
    }

    /// The bytes of one exchange in `messages/` (`name` without its `.hex`): its lines' hex, concatenated.
    static func message(_ name: String) throws -> [UInt8] {
        let text = try String(contentsOf: messages.appendingPathComponent(name + ".hex"), encoding: .utf8)
        return try bytes(hex: text.filter { !$0.isWhitespace })
    }

    static func messageNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: messages.path).filter { $0.hasSuffix(".hex") }
            .map { String($0.dropLast(".hex".count)) }.sorted()
    }

    static func bytes(hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { throw VectorError("odd number of hex digits") }
        var result: [UInt8] = []
        result.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw VectorError("invalid hex at \(index)")
            }
            result.append(byte)
        }
        return result
    }
}

struct VectorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Array where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
