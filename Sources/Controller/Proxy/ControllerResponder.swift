import Hummingbird

/// Sends requests under the base path to the control routes and everything else to the backend.
///
/// A prefix test rather than a catch-all route keeps the proxy path free of router matching: most of
/// the controller's traffic is the app's own.
struct ControllerResponder: HTTPResponder {
    let basePath: String
    let control: RouterResponder<ControllerRequestContext>
    let proxy: ReverseProxy

    func respond(to request: Request, context: ControllerRequestContext) async throws -> Response {
        if Self.isControlPath(request.uri.path, basePath: basePath) {
            return try await control.respond(to: request, context: context)
        }
        return try await proxy.respond(to: request, context: context)
    }

    /// True for the controller's own paths: the base path and everything under it.
    static func isControlPath(_ path: String, basePath: String) -> Bool {
        path == basePath || path.hasPrefix(basePath + "/")
    }
}
