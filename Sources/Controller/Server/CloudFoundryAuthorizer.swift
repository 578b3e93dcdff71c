import NIOCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

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
    let client: CloudControllerClient
    let cacheLifetime: Duration
    private var cache: [SHA256.Digest: (verdict: Verdict, until: ContinuousClock.Instant)] = [:]

    init(apiURL: String, applicationID: String, client: CloudControllerClient, cacheLifetime: Duration = .seconds(60)) {
        var url = apiURL
        while url.hasSuffix("/") { url.removeLast() }
        self.apiURL = url
        self.applicationID = applicationID
        self.client = client
        self.cacheLifetime = cacheLifetime
    }

    func check(bearer token: String) async -> Verdict {
        let key = SHA256.hash(token.utf8)
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
        do {
            let response = try await client.get(
                "\(apiURL)/v3/apps/\(applicationID)/permissions",
                headers: [("Authorization", "bearer \(token)"), ("Accept", "application/json")], timeout: .seconds(10),
                bodyLimit: 64 * 1024)
            guard response.status == 200 else {
                return .denied(
                    "the Cloud Controller refused this token for the app (HTTP \(response.status)); log in again with "
                        + "`cf login`")
            }
            let permissions = try? JSONDecoder().decode(Permissions.self, from: Data(response.body))
            guard permissions?.readSensitiveData == true else {
                return .denied(
                    "your Cloud Foundry user may not read this app's sensitive data, which pushing requires (a space "
                        + "developer role)")
            }
            return .allowed
        } catch {
            return .unavailable("cannot reach the Cloud Controller at \(apiURL) to check the token: \(error)")
        }
    }

    /// The part of the Cloud Controller's answer that matters, from
    /// `{"read_basic_data": true, "read_sensitive_data": true}`.
    private struct Permissions: Decodable {
        var readSensitiveData: Bool?

        enum CodingKeys: String, CodingKey {
            case readSensitiveData = "read_sensitive_data"
        }
    }
}
