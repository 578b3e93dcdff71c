import Foundation

/// Where a controller's sync API is and how to authenticate to it.
struct ControllerEndpoint: Sendable, Hashable {
    /// The sync API's root, such as `https://my-app.example.com/_fastpush`, without a trailing `/`.
    let baseURL: String
    /// The controller's token, sent as `x-auth-token`.
    var token: String?
    /// The user's Cloud Foundry access token ("bearer ..."), checked by a controller with `cf_api` set.
    var bearer: String?
    /// `GUID:INDEX` for the router's `X-Cf-App-Instance`, to reach one instance.
    var instance: String?
    /// Certificates are not checked (`cf api --skip-ssl-validation`).
    var skipsCertificateValidation = false
    /// What to do when the controller refuses the credentials.
    var credentialsHint = "Pass the controller's token with --token or FASTPUSH_TOKEN"
    /// What to check when the controller cannot be reached.
    var unreachableHint = "check the URL, and that the app runs with cf-fastpush-controller as its start command"
    /// What to do when the TLS connection fails (certificates are checked).
    var certificateHint = "if the app's certificate is self-signed, pass --skip-ssl-validation"

    /// The endpoint for an app URL: `https://host` gets `basePath` appended; a URL that already names a path
    /// (such as `http://host:9000/_fastpush`) is taken as the API's root. A URL without a scheme gets `https://`.
    init(appURL: String, basePath: String = "/_fastpush", token: String? = nil) throws(ClientError) {
        var text = appURL.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "https://" + text }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw ClientError("\"\(appURL)\" is not an app URL: give one like https://my-app.example.com or http://127.0.0.1:9000")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil else {
            throw ClientError("\"\(appURL)\" has a query, fragment or user name: give the app's URL only")
        }
        var root = text
        while root.hasSuffix("/") { root.removeLast() }
        if components.path.isEmpty || components.path == "/" { root += basePath }
        baseURL = root
        self.token = token
    }

    /// The URL of `route` (such as `v2/manifest`) under the API's root.
    func url(_ route: String) -> String { baseURL + "/" + route }

    /// The instance number of ``instance`` (`2` for `GUID:2`).
    var instanceIndex: String? { instance.map { String($0.split(separator: ":").last ?? "") } }

    /// The headers that authenticate a request and pick the instance.
    var headers: [(String, String)] {
        var headers: [(String, String)] = []
        if let token { headers.append(("x-auth-token", token)) }
        if let bearer { headers.append(("Authorization", bearer.lowercased().hasPrefix("bearer ") ? bearer : "bearer " + bearer)) }
        if let instance { headers.append(("X-Cf-App-Instance", instance)) }
        return headers
    }
}
