import Hummingbird

/// Guards every control route: the request must present the controller's token in `x-auth-token` (what
/// the original plugin sends) or as `Authorization: Bearer`, or, when a Cloud Controller is configured,
/// a Cloud Foundry access token whose user may read the app's sensitive data. Comparison is
/// constant-time; tokens are never logged.
struct ControlAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The token to require; `nil` means no token is configured and `open` decides.
    let token: String?
    /// With no token: true lets requests through (loopback-only controllers), false refuses them all.
    let openWithoutToken: Bool
    /// Checks users' own Cloud Foundry tokens, when `cf_api` is configured.
    let cloudFoundry: CloudFoundryAuthorizer?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let presented = request.headers[.init("x-auth-token")!]
        let bearer = request.headers[.authorization].flatMap { value in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
        }
        if let token, LegacyFileAPI.tokenMatches(presented ?? bearer, expected: token) {
            return try await next(request, context)
        }
        if let cloudFoundry, let bearer {
            switch await cloudFoundry.check(bearer: bearer) {
            case .allowed: return try await next(request, context)
            case .denied(let why): return ReverseProxy.failure(.forbidden, why)
            case .unavailable(let why): return ReverseProxy.failure(.serviceUnavailable, why)
            }
        }
        if token == nil && cloudFoundry == nil {
            if openWithoutToken { return try await next(request, context) }
            return ReverseProxy.failure(
                .unauthorized,
                "no control token is configured, so control requests are refused: set FASTPUSH_TOKEN (or `token` in cf-fastpush-controller.yml) and push with the same token")
        }
        return ReverseProxy.failure(
            .unauthorized,
            presented == nil && bearer == nil
                ? "this request has no token: send it in the x-auth-token header"
                : "the token does not match the controller's: check FASTPUSH_TOKEN on both sides")
    }
}
