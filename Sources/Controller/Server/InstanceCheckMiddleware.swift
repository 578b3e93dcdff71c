import HTTPTypes
import Hummingbird

/// Says on every control answer which instance gave it (`X-Fastpush-Instance`), and refuses a control request
/// addressed (`X-Cf-App-Instance`) to another instance before anything else sees it, authentication included:
/// a 421 Misdirected Request whose message says which instance this is and which was asked for.
///
/// The refusal reads nothing of the body. When the request has one, the answer says `Connection: close`, and the
/// front door (``RequestForwarder``) ends the connection after it instead of reading the rest.
struct InstanceCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    let identity: InstanceIdentity

    // The names are valid field names.
    // swift-format-ignore: NeverForceUnwrap
    private static var addressField: HTTPField.Name { HTTPField.Name(InstanceAddress.field)! }
    // swift-format-ignore: NeverForceUnwrap
    private static var answerField: HTTPField.Name { HTTPField.Name(InstanceIdentity.answerField)! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response: Response
        if let problem = identity.misdirection(addressedTo: request.headers[values: Self.addressField]) {
            response = try HTTPError(.misdirectedRequest, message: problem).response(from: request, context: context)
            if Self.hasBody(request) { response.headers[.connection] = "close" }
        } else {
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                // Turned into its answer here rather than by the router, so that the answer says who gave it.
                // (Other errors are a broken connection, or a 500 without a body that Hummingbird makes.)
                response = try error.response(from: request, context: context)
            }
        }
        response.headers[Self.answerField] = identity.answerValue
        return response
    }

    /// Whether the request's head announces a body (a length above 0, or chunks).
    private static func hasBody(_ request: Request) -> Bool {
        request.headers[.transferEncoding] != nil || (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > 0
    }
}
