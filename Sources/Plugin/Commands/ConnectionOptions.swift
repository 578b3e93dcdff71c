import ArgumentParser
import Foundation

/// How the standalone commands reach a controller.
struct ConnectionOptions: ParsableArguments {
    @Argument(help: "The app's URL, such as https://my-app.herokuapp.com (the sync API is under --base-path).")
    var url: String
    @Option(help: "The controller's token (default: $FASTPUSH_TOKEN).")
    var token: String?
    @Option(help: "The sync API's path on the app's URL, as the controller's base_path.")
    var basePath = "/_fastpush"

    func endpoint(environment: [String: String]) throws -> ControllerEndpoint {
        let token = token ?? environment["FASTPUSH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            return try ControllerEndpoint(appURL: url, basePath: basePath, token: token)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
