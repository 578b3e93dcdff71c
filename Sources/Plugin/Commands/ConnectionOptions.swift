import ArgumentParser
import Foundation

/// How the standalone commands reach controllers: one or more app URLs (several for instances of one app behind
/// their own URLs), then optionally the app directory.
struct ConnectionOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "The app's URL (several for several instances), such as https://my-app.herokuapp.com, then optionally the app directory (default: the current one).",
            valueName: "url-then-dir"))
    var targets: [String]
    @Option(help: "The controller's token (default: $FASTPUSH_TOKEN).")
    var token: String?
    @Option(help: "The sync API's path on the app's URL, as the controller's base_path.")
    var basePath = "/_fastpush"
    @Flag(help: "Do not check the app's TLS certificate (a self-signed one).")
    var skipSslValidation = false

    /// The URLs: every argument but a last one that is a directory.
    var urls: [String] { Self.isDirectory(targets.last) ? Array(targets.dropLast()) : targets }
    /// The app directory: the last argument when it is one, else the current directory.
    var directory: String { Self.isDirectory(targets.last) ? targets[targets.count - 1] : "." }

    func validate() throws {
        guard !urls.isEmpty else {
            throw ValidationError("give the app's URL before the directory, such as: fastpush push https://my-app.example.com .")
        }
    }

    func pushTargets(environment: [String: String]) throws -> [PushTarget] {
        let token = token ?? environment["FASTPUSH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return try urls.map { url in
            do {
                var endpoint = try ControllerEndpoint(appURL: url, basePath: basePath, token: token)
                endpoint.skipsCertificateValidation = skipSslValidation
                return PushTarget(label: endpoint.baseURL, endpoint: endpoint)
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    /// An existing directory, or anything written as a path (`/x`, `./x`, `../x`, `~/x`), which is then checked
    /// as a directory with a clear error, rather than taken for a host name.
    private static func isDirectory(_ path: String?) -> Bool {
        guard let path, !path.contains("://") else { return false }
        if ["/", "./", "../", "~/"].contains(where: path.hasPrefix) || path == "." || path == ".." { return true }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
