import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// Lets developers use their own Cloud Foundry access token instead of a shared secret: a bearer token is
/// accepted when the Cloud Controller says its owner may read this app's sensitive data (what `cf env`
/// needs), through `GET {cf_api}/v3/apps/{guid}/permissions`.
///
/// Answers are cached for ``cacheLifetime`` under the token's SHA-256, so a push does not cost a Cloud
/// Controller round trip per request and the token itself is not kept.
actor CloudFoundryAuthorizer {
    enum Verdict: Sendable, Equatable {
        case allowed
        case denied(String)
        case unavailable(String)
    }

    let apiURL: String
    let applicationID: String
    let client: HTTPClient
    let cacheLifetime: Duration
    private var cache: [SHA256.Digest: (verdict: Verdict, until: ContinuousClock.Instant)] = [:]

    init(apiURL: String, applicationID: String, client: HTTPClient, cacheLifetime: Duration = .seconds(60)) {
        var url = apiURL
        while url.hasSuffix("/") { url.removeLast() }
        self.apiURL = url
        self.applicationID = applicationID
        self.client = client
        self.cacheLifetime = cacheLifetime
    }

    func check(bearer token: String) async -> Verdict {
        let key = SHA256.hash(data: Data(token.utf8))
        let now = ContinuousClock.now
        if let cached = cache[key], cached.until > now { return cached.verdict }
        let verdict = await ask(token)
        // A Cloud Controller that could not be reached is asked again next time.
        if case .unavailable = verdict { return verdict }
        cache = cache.filter { $0.value.until > now }
        cache[key] = (verdict, now + cacheLifetime)
        return verdict
    }

    private func ask(_ token: String) async -> Verdict {
        var request = HTTPClientRequest(url: "\(apiURL)/v3/apps/\(applicationID)/permissions")
        request.headers.add(name: "Authorization", value: "bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 64 * 1024)
            guard response.status == .ok else {
                return .denied("the Cloud Controller refused this token for the app (HTTP \(response.status.code)); log in again with `cf login`")
            }
            let permissions = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
            guard permissions?["read_sensitive_data"] as? Bool == true else {
                return .denied("your Cloud Foundry user may not read this app's sensitive data, which pushing requires (a space developer role)")
            }
            return .allowed
        } catch {
            return .unavailable("cannot reach the Cloud Controller at \(apiURL) to check the token: \(error)")
        }
    }
}
