import Foundation
import GobRPC

/// The app a `cf fast-push` is for, found with what the cf CLI hands a plugin (the API endpoint, a fresh access
/// token, the targeted space, the `--skip-ssl-validation` setting) and the Cloud Controller's v3 API: its GUID,
/// its route, its `FASTPUSH_TOKEN` variable and its web instances.
///
/// Authentication needs nothing typed: the user's own access token goes to the controller (which, with `cf_api`
/// set, checks it against the app's permissions), and so does the app's `FASTPUSH_TOKEN` when it has one. The
/// app's GUID is a credential only for the original Go controller.
struct CFTarget {
    let app: CloudController.App
    let instances: [CloudController.ProcessInstance]
    let endpoint: ControllerEndpoint
    let legacyEndpoint: ControllerEndpoint
    /// `cf api --skip-ssl-validation`: certificates are checked neither for the Cloud Controller nor for the route.
    let skipsCertificateValidation: Bool

    static func find(appName: String, route: String?, connection: CFPluginConnection, trace: HTTPTrace?) async throws -> CFTarget {
        guard try connection.isLoggedIn() else {
            throw ClientError("you are not logged in: run `cf login`, then try again")
        }
        let apiURL = try connection.apiEndpoint()
        guard !apiURL.isEmpty else { throw ClientError("no Cloud Foundry API is targeted: run `cf api URL` and `cf login`") }
        let space = try connection.getCurrentSpace()
        guard !space.guid.isEmpty else {
            throw ClientError("no space is targeted: run `cf target -o ORG -s SPACE` (`cf spaces` lists them)")
        }
        let accessToken: String
        do {
            accessToken = try connection.accessToken()
        } catch {
            throw ClientError("the cf CLI could not give a current access token (\(error)); run `cf login` again")
        }
        let skip = try connection.isSSLDisabled()
        let cloudController = CloudController(
            apiURL: apiURL, accessToken: accessToken, skipsCertificateValidation: skip, trace: trace)

        guard let app = try await cloudController.app(named: appName, inSpace: space.guid) else {
            throw try await notFound(appName, space: space, cloudController: cloudController)
        }
        guard app.state != "STOPPED" else {
            throw ClientError("app \(appName) is stopped, so its controller cannot answer: run `cf start \(appName)`, then push")
        }
        // Three independent questions, asked at once.
        async let routes = cloudController.routes(of: app)
        async let variables = cloudController.environmentVariables(of: app)
        async let instances = cloudController.webInstances(of: app)
        let url: String
        if let route { url = route } else { url = try Self.httpRoute(try await routes, appName: appName) }
        let token = try await variables["FASTPUSH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        var endpoint = try ControllerEndpoint(appURL: url, token: token)
        endpoint.bearer = accessToken.isEmpty ? nil : accessToken
        endpoint.skipsCertificateValidation = skip
        endpoint.credentialsHint =
            "Give the app the controller's token with `cf set-env \(appName) FASTPUSH_TOKEN <token>` and restage, or set cf_api in the controller's configuration so that your cf login is accepted"
        endpoint.unreachableHint =
            route == nil
            ? "check that the app is running (`cf app \(appName)`) with cf-fastpush-controller as its start command, or give another of its URLs with --route"
            : "check the URL given with --route, and that the app is running (`cf app \(appName)`) with cf-fastpush-controller as its start command"
        endpoint.certificateHint =
            "if the route's certificate is self-signed, target the API with `cf api \(apiURL) --skip-ssl-validation` (that also skips the route's check), or give the route with --route http://..."
        var legacy = endpoint
        legacy.token = token ?? app.guid
        legacy.bearer = nil
        return CFTarget(
            app: app, instances: try await instances, endpoint: endpoint, legacyEndpoint: legacy,
            skipsCertificateValidation: skip)
    }

    /// The first HTTP route, as an https URL (a TCP route cannot carry the controller's HTTP API).
    private static func httpRoute(_ routes: [CloudController.Route], appName: String) throws -> String {
        if let http = routes.first(where: { ($0.protocol ?? "http").hasPrefix("http") }) { return "https://" + http.url }
        let others = routes.map(\.url)
        throw ClientError(
            "app \(appName) has no HTTP route\(others.isEmpty ? "" : " (only \(others.joined(separator: ", ")))"), so its controller cannot be reached: map one with `cf map-route \(appName) DOMAIN --hostname HOST`, or pass --route URL")
    }

    /// The app is not in the space: say which space, and which apps it has when there are a few.
    private static func notFound(_ name: String, space: Space, cloudController: CloudController) async throws -> ClientError {
        let (names, total) = try await cloudController.appNames(inSpace: space.guid)
        let inSpace = "app \(name) was not found in space \(space.name.isEmpty ? space.guid : space.name)"
        if let near = names.first(where: { $0.lowercased() == name.lowercased() }) {
            return ClientError("\(inSpace); app names are case-sensitive: did you mean \(near)?")
        }
        if names.isEmpty { return ClientError("\(inSpace), which has no apps; check `cf target`") }
        if total <= 10 { return ClientError("\(inSpace), whose apps are: \(names.joined(separator: ", ")); check the name, or `cf target`") }
        return ClientError("\(inSpace) (it has \(total) apps: `cf apps` lists them); check the name, or `cf target`")
    }

    // MARK: Instances

    /// Where a push goes: one instance (`--instance N`), or every running instance of the web process, each through
    /// the route with `X-Cf-App-Instance: GUID:INDEX` and its own cache entry. Instances that are not running are
    /// skipped, with their state.
    func pushTargets(instance: Int?) throws -> (targets: [PushTarget], skipped: [(label: String, state: String)]) {
        func target(_ index: Int, label: String) -> PushTarget {
            var endpoint = endpoint
            endpoint.instance = "\(app.guid.lowercased()):\(index)"
            var legacy = legacyEndpoint
            legacy.instance = endpoint.instance
            return PushTarget(label: label, endpoint: endpoint, legacyEndpoint: legacy)
        }
        let states = instances.map { "instance \($0.index): \($0.state)" }.joined(separator: ", ")
        if let instance {
            guard instance >= 0 else { throw ClientError("--instance \(instance) is not an instance number: they start at 0") }
            guard let found = instances.first(where: { $0.index == instance }) else {
                throw ClientError(
                    "app \(app.name) has no instance \(instance): it has \(instances.count) (\(states.isEmpty ? "none" : states)); `cf app \(app.name)` shows them")
            }
            guard found.state == "RUNNING" else {
                throw ClientError("instance \(instance) of \(app.name) is \(found.state), not running: `cf app \(app.name)` shows why")
            }
            return ([target(instance, label: "instance \(instance)")], [])
        }
        let running = instances.filter { $0.state == "RUNNING" }
        guard !running.isEmpty else {
            throw ClientError(
                "no instance of \(app.name) is running (\(states.isEmpty ? "it has none" : states)): `cf app \(app.name)` shows why; `cf restart \(app.name)` starts it again")
        }
        if instances.count == 1 { return ([target(running[0].index, label: app.name)], []) }
        let skipped = instances.filter { $0.state != "RUNNING" }.map { (label: "instance \($0.index)", state: $0.state) }
        return (running.map { target($0.index, label: "instance \($0.index)") }, skipped)
    }
}
