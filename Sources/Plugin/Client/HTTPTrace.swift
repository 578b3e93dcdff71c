import AsyncHTTPClient
import DeltaSync
import Foundation
import NIOHTTP1

/// `CF_TRACE`: prints HTTP exchanges the way the cf CLI does, with credentials hidden. `true` writes to
/// standard output; any other value but `false` is a file to append to.
struct HTTPTrace: Sendable {
    let write: @Sendable (String) -> Void

    /// The trace `CF_TRACE` asks for, or `nil`.
    static func from(environment: [String: String]) -> HTTPTrace? {
        guard let value = environment["CF_TRACE"], !value.isEmpty, value.lowercased() != "false" else { return nil }
        if value.lowercased() == "true" {
            return HTTPTrace { text in print(text) }
        }
        return HTTPTrace { text in
            guard let handle = FileHandle(forWritingAtPath: value) ?? Self.create(value) else { return }
            handle.seekToEndOfFile()
            handle.write(Data((text + "\n").utf8))
            try? handle.close()
        }
    }

    private static func create(_ path: String) -> FileHandle? {
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        return FileHandle(forWritingAtPath: path)
    }

    static let hidden = "[PRIVATE DATA HIDDEN]"

    func request(_ request: HTTPClientRequest, bodySize: Int) {
        var lines = ["", "REQUEST: [\(Self.now())]", "\(request.method.rawValue) \(request.url) HTTP/1.1"]
        for header in request.headers {
            let secret = ["x-auth-token", "authorization"].contains(header.name.lowercased())
            lines.append("\(header.name): \(secret ? Self.hidden : header.value)")
        }
        if bodySize > 0 { lines.append("[\(bodySize) bytes of body]") }
        write(lines.joined(separator: "\n"))
    }

    /// `shownBody` replaces a body that holds secrets.
    func response(_ response: ControllerClient.Response, shownBody: String? = nil) {
        var lines = ["", "RESPONSE: [\(Self.now())]", "HTTP/1.1 \(response.status)"]
        for header in response.headers { lines.append("\(header.name): \(header.value)") }
        let isText = response.headers["Content-Type"].first.map { $0.contains("json") || $0.hasPrefix("text/") } ?? false
        if let shownBody {
            lines.append(shownBody)
        } else if isText, !response.body.isEmpty {
            lines.append(String(decoding: response.body.prefix(4096), as: UTF8.self))
        } else if !response.body.isEmpty {
            lines.append("[\(response.body.count) bytes of binary body]")
        }
        write(lines.joined(separator: "\n"))
    }

    /// An RPC call to the cf CLI, one line (`RPC CliRpcCmd.GetApp seq=1 3ms: ok`).
    func rpc(_ line: String) { write(line) }

    private static func now() -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date())
    }
}
