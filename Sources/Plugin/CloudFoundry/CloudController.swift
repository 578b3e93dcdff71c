import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The few requests of the Cloud Controller's v3 API that finding an app needs, made with the user's own
/// access token: the app by name in a space, its routes, its variables and its web instances. No v2 endpoint
/// is used, so this works on foundations that have switched v2 off.
struct CloudController: Sendable {
    /// The API's root, such as `https://api.sys.example.com`, without a trailing `/`.
    let apiURL: String
    /// `bearer ...`, as cf's `AccessToken` gives it.
    let accessToken: String
    /// `cf api --skip-ssl-validation` was used: certificates are not checked.
    let skipsCertificateValidation: Bool
    let trace: HTTPTrace?

    init(apiURL: String, accessToken: String, skipsCertificateValidation: Bool, trace: HTTPTrace?) {
        var root = apiURL.trimmingCharacters(in: .whitespaces)
        while root.hasSuffix("/") { root.removeLast() }
        self.apiURL = root
        self.accessToken = accessToken
        self.skipsCertificateValidation = skipsCertificateValidation
        self.trace = trace
    }

    // MARK: Resources, as the v3 API documents them (only the fields used)

    struct App: Decodable, Sendable {
        var guid: String
        var name: String
        var state: String
    }

    struct Route: Decodable, Sendable {
        /// The route without a scheme: `host.domain/path`, or `domain:port` for a TCP route.
        var url: String
        var `protocol`: String?
    }

    struct ProcessInstance: Decodable, Sendable {
        var index: Int
        /// `RUNNING`, `STARTING`, `CRASHED`, `DOWN`.
        var state: String
    }

    private struct Page<Resource: Decodable>: Decodable {
        struct Pagination: Decodable { var totalResults: Int? }
        var pagination: Pagination?
        var resources: [Resource]
    }

    private struct Variables: Decodable {
        var `var`: [String: JSONScalar]
    }

    /// A variable's value: v3 keeps strings, but a JSON number or boolean is not an error.
    private enum JSONScalar: Decodable {
        case string(String)
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .string(text) } else { self = .other }
        }
    }

    // MARK: Requests

    /// The app called `name` in the space, or `nil`.
    func app(named name: String, inSpace space: String) async throws -> App? {
        let page: Page<App> = try await get("/v3/apps", query: [("names", name), ("space_guids", space)], what: "the app \(name)")
        return page.resources.first { $0.name == name }
    }

    /// The space's app names (the first 50 in name order) and how many there are in all.
    func appNames(inSpace space: String) async throws -> (names: [String], total: Int) {
        let page: Page<App> = try await get(
            "/v3/apps", query: [("space_guids", space), ("order_by", "name"), ("per_page", "50")], what: "the space's apps")
        return (page.resources.map(\.name), page.pagination?.totalResults ?? page.resources.count)
    }

    func routes(of app: App) async throws -> [Route] {
        let page: Page<Route> = try await get("/v3/apps/\(app.guid)/routes", what: "the routes of \(app.name)")
        return page.resources
    }

    /// The app's own variables (`cf set-env`); reading them needs the Space Developer role.
    func environmentVariables(of app: App) async throws -> [String: String] {
        let variables: Variables = try await get(
            "/v3/apps/\(app.guid)/environment_variables", what: "the environment variables of \(app.name)",
            hidingValues: true,
            forbidden: "you may not read the environment variables of \(app.name), which fast-push needs: that takes the Space Developer role in its space (an org or space manager can grant it: cf set-space-role USER ORG SPACE SpaceDeveloper)")
        return variables.var.compactMapValues { if case .string(let text) = $0 { text } else { nil } }
    }

    /// The instances of the app's web process, in index order.
    func webInstances(of app: App) async throws -> [ProcessInstance] {
        let page: Page<ProcessInstance> = try await get(
            "/v3/apps/\(app.guid)/processes/web/stats", what: "the instances of \(app.name)")
        return page.resources.sorted { $0.index < $1.index }
    }

    // MARK: HTTP

    /// `hidingValues`: the answer's values are secrets; the trace shows only the variables' names.
    private func get<T: Decodable>(
        _ path: String, query: [(String, String)] = [], what: String, hidingValues: Bool = false, forbidden: String? = nil
    ) async throws -> T {
        var components = URLComponents()
        components.queryItems = query.isEmpty ? nil : query.map { URLQueryItem(name: $0.0, value: $0.1) }
        let url = apiURL + path + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: accessToken)
        request.headers.add(name: "Accept", value: "application/json")
        trace?.request(request, bodySize: 0)
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await ControllerHTTPClient.client(skippingCertificateValidation: skipsCertificateValidation)
                .execute(request, timeout: .seconds(60))
            body = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw ClientError(
                ConnectionFailure(error).message(
                    reaching: "the Cloud Controller", at: apiURL,
                    tlsHint: skipsCertificateValidation
                        ? nil
                        : "if the foundation uses a self-signed certificate, target it with `cf api \(apiURL) --skip-ssl-validation`")
                    + "; `cf api` shows the endpoint cf targets")
        }
        let bytes = Array(buffer: body)
        trace?.response(
            ControllerClient.Response(status: Int(response.status.code), body: bytes, headers: response.headers),
            shownBody: hidingValues ? Self.namesOnly(bytes) : nil)
        guard response.status == .ok else {
            throw failure(status: Int(response.status.code), body: bytes, reading: what, forbidden: forbidden)
        }
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(T.self, from: Data(bytes))
        } catch {
            throw ClientError("the Cloud Controller's answer about \(what) is not the v3 JSON expected (\(error)); is \(apiURL) a Cloud Foundry API?")
        }
    }

    /// A JSON object's nested values replaced, so a trace shows which variables there are and none of their values.
    private static func namesOnly(_ body: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let variables = object["var"] as? [String: Any]
        else { return "[\(body.count) bytes of body hidden]" }
        let names = variables.keys.sorted().map { "\"\($0)\": \"\(HTTPTrace.hidden)\"" }
        return "{\"var\": {\(names.joined(separator: ", "))}}"
    }

    /// The v3 error (`{"errors": [{"code", "title", "detail"}]}`) as what to do.
    private func failure(status: Int, body: [UInt8], reading what: String, forbidden: String?) -> ClientError {
        struct Errors: Decodable {
            struct Entry: Decodable { var title: String?; var detail: String? }
            var errors: [Entry]
        }
        let first = (try? JSONDecoder().decode(Errors.self, from: Data(body)))?.errors.first
        let said = [first?.title, first?.detail].compactMap { $0 }.joined(separator: ": ")
        let detail = said.isEmpty ? "HTTP \(status)" : "HTTP \(status), \(said)"
        switch status {
        case 401:
            return ClientError("the Cloud Controller did not accept your login while reading \(what) (\(detail)): your session has expired or was revoked; run `cf login` again")
        case 403:
            return ClientError((forbidden ?? "you may not read \(what)") + " (\(detail))")
        case 404:
            return ClientError("the Cloud Controller at \(apiURL) has no \(what) (\(detail)); check `cf target` and `cf api`")
        default:
            return ClientError("the Cloud Controller answered \(detail) while reading \(what); try again, or run with CF_TRACE=true to see the exchange")
        }
    }
}
