import GobRPC

/// Where an app's controller is and how to authenticate to it, found through the cf CLI: the app's route from
/// `GetApp`, the user's own access token (which a controller with `cf_api` checks against the app's
/// permissions), and the app's `FASTPUSH_TOKEN` variable when it has one. The app's GUID is a credential only
/// for the original Go controller.
struct CFTarget {
    let app: GetAppModel
    let endpoint: ControllerEndpoint
    let legacyEndpoint: ControllerEndpoint

    init(appName: String, route: String?, connection: CFPluginConnection) throws {
        guard try connection.isLoggedIn() else {
            throw ClientError("you are not logged in: run `cf login`, then try again")
        }
        do {
            app = try connection.getApp(appName)
        } catch {
            throw ClientError("cannot find app \(appName) in the targeted org and space (\(error)); check `cf apps` and `cf target`")
        }
        guard let url = route ?? app.routeURLs.first else {
            throw ClientError("app \(appName) has no route, so its controller cannot be reached: map one with `cf map-route`, or pass --route URL")
        }
        let token = app.environmentVars["FASTPUSH_TOKEN"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        var endpoint = try ControllerEndpoint(appURL: url, token: token)
        let accessToken = try connection.accessToken()
        endpoint.bearer = accessToken.isEmpty ? nil : accessToken
        endpoint.credentialsHint =
            "Give the app the controller's token with `cf set-env \(appName) FASTPUSH_TOKEN <token>` and restage, or set cf_api in the controller's configuration so that your cf login is accepted"
        self.endpoint = endpoint
        var legacy = try ControllerEndpoint(appURL: url, token: token ?? app.guid)
        legacy.bearer = nil
        legacyEndpoint = legacy
    }

    /// The app itself (whichever instance the router picks), one instance, or all of them. Instances are reached
    /// through the route with `X-Cf-App-Instance: GUID:INDEX`; each has its own cache entry.
    func pushTargets(instance: Int?, allInstances: Bool) throws -> [PushTarget] {
        let indices: [Int]
        if let instance {
            guard instance >= 0 else { throw ClientError("--instance \(instance) is not an instance number: they start at 0") }
            indices = [instance]
        } else if allInstances {
            indices = Array(0..<max(app.instanceCount, 1))
        } else {
            return [PushTarget(label: app.name, endpoint: endpoint, legacyEndpoint: legacyEndpoint)]
        }
        return indices.map { index in
            var endpoint = endpoint
            endpoint.instance = "\(app.guid.lowercased()):\(index)"
            var legacy = legacyEndpoint
            legacy.instance = endpoint.instance
            return PushTarget(label: "instance \(index)", endpoint: endpoint, legacyEndpoint: legacy)
        }
    }
}
