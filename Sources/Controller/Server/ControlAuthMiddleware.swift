import Hummingbird

/// Guards every control route: the request must present the controller's token in `x-auth-token` (what
/// the original plugin sends) or as `Authorization: Bearer`. Comparison is constant-time; the token is
/// never logged.
struct ControlAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The token to require; `nil` means no token is configured and `open` decides.
    let token: String?
    /// With no token: true lets requests through (loopback-only controllers), false refuses them all.
    let openWithoutToken: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let token else {
            if openWithoutToken { return try await next(request, context) }
            return ReverseProxy.failure(
                .unauthorized,
                "no control token is configured, so control requests are refused: set FASTPUSH_TOKEN (or `token` in cf-fastpush-controller.yml) and push with the same token"
            )
        }
        let presented =
            request.headers[.init("x-auth-token")!]
            ?? request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard LegacyFileAPI.tokenMatches(presented, expected: token) else {
            return ReverseProxy.failure(
                .unauthorized,
                presented == nil
                    ? "this request has no token: send it in the x-auth-token header"
                    : "the token does not match the controller's: check FASTPUSH_TOKEN on both sides")
        }
        return try await next(request, context)
    }
}
