import Foundation
import TestSupport
import Testing

@testable import GobRPC

/// The Swift client against Go's own net/rpc and encoding/gob, over real TCP on 127.0.0.1.
@Suite(.serialized) struct GoPeerIntegrationTests {
    static let metadata = PluginMetadata(
        name: "fast-push", version: PluginVersion(major: 1, minor: 2, build: 3),
        libraryVersion: PluginVersion(major: 1), minCliVersion: PluginVersion(major: 6, minor: 7),
        commands: [
            PluginCommand(
                name: "fast-push", alias: "fp", helpText: "Push changed files fast",
                usageDetails: PluginUsage(usage: "cf fast-push APP [-r]", options: ["r": "restart the app", "dry-run": "show only"])),
            PluginCommand(name: "fast-push-status", helpText: "Show the controller's state"),
        ])

    @Test func setPluginMetadataArrivesIntact() throws {
        let peer = try GoPeer()
        defer { peer.stop() }
        let cf = try CFPluginConnection(port: peer.port)
        #expect(try cf.setPluginMetadata(Self.metadata) == true)
        // Go decoded every field: its own rendering of what it got...
        let description: String = try cf.call("DescribePluginMetadata")
        #expect(
            description
                == "name=fast-push version=1.2.3 library=1.0.0 min=6.7.0 commands=[fast-push|fp|Push changed files fast|cf fast-push APP [-r]|{dry-run=show only,r=restart the app}; fast-push-status||Show the controller's state||{}]"
        )
        // ...and the same value gob-encoded back by Go.
        let echoed: PluginMetadata = try cf.call("LastPluginMetadata")
        #expect(echoed == Self.metadata)
        // cf's install checks reject a plugin with no commands.
        #expect(try cf.setPluginMetadata(PluginMetadata(name: "empty")) == false)
    }

    @Test func getAppDecodesAFullModel() throws {
        let peer = try GoPeer()
        defer { peer.stop() }
        let app = try CFPluginConnection(port: peer.port).getApp("my-app")
        #expect(app.guid == "6b4b3e4c-0d1e-4c43-a5b5-3a5f3b2e9c11")
        #expect(app.name == "my-app")
        #expect(app.buildpackUrl == "python_buildpack")
        #expect(app.command == "python app.py")
        #expect(app.detectedStartCommand == "python main.py")
        #expect(app.diskQuota == 1024)
        #expect(app.instanceCount == 2)
        #expect(app.memory == 256)
        #expect(app.runningInstances == 1)
        #expect(app.healthCheckTimeout == 60)
        #expect(app.state == "STARTED")
        #expect(app.spaceGuid == "space-guid")
        #expect(app.packageState == "STAGED")
        #expect(app.stagingFailedReason == "")
        #expect(app.packageUpdatedAt == Date(timeIntervalSince1970: 1_704_164_645.6))
        #expect(app.stack == GetAppStack(guid: "stack-guid", name: "cflinuxfs4", description: "Cloud Foundry Linux"))

        let env = app.environmentVars
        #expect(env.keys.sorted() == ["BOOL", "INT", "NESTED", "NIL", "NUMBER", "STRING"])
        #expect(env["STRING"] == .interface(.string("value")))
        #expect(env["NUMBER"]?.doubleValue == 42.5)
        #expect(env["INT"] == .interface(.int(7)))
        #expect(env["BOOL"]?.boolValue == true)
        #expect(env["NIL"] == .interface(nil))
        let nested = try #require(env["NESTED"]?.stringKeyedEntries)
        guard case .list(let list)? = nested["list"]?.unwrapped else {
            Issue.record("NESTED.list is not a list: \(String(describing: nested["list"]))")
            return
        }
        #expect(list.count == 3)
        #expect(list[0].stringValue == "x")
        #expect(list[1].doubleValue == 1.5)
        #expect(list[2].stringKeyedEntries?["deep"]?.boolValue == true)
        if case .interface(let inner?)? = env["NESTED"] {
            #expect(inner.name == "map[string]interface {}")
        } else {
            Issue.record("NESTED is not an interface value")
        }

        #expect(app.instances.count == 2)
        let first = app.instances[0]
        #expect(first.state == "RUNNING" && first.details == "healthy")
        // 03:04:05.000000006 at +05:30:07 (a version 2 time) is 21:34:58 UTC the day before.
        #expect(first.since == Date(timeIntervalSince1970: 1_704_164_645 - 19_807 + 6e-9))
        #expect(first.cpuUsage == 0.25)
        #expect(first.diskQuota == 1 << 30 && first.diskUsage == 123_456)
        #expect(first.memQuota == 256 << 20 && first.memUsage == 100 << 20)
        #expect(app.instances[1] == GetAppInstance(state: "CRASHED", since: Date(timeIntervalSince1970: 1_704_067_200 + 6 * 3600)))

        #expect(app.routes.count == 2)
        #expect(app.routes[1] == GetAppRoute(guid: "r2", domain: GetAppDomain(guid: "d2", name: "tcp.example.com"), port: 1024))
        #expect(app.routeURLs == ["my-app.example.com/p", "tcp.example.com"])
        #expect(app.services == [GetAppService(guid: "s1", name: "db")])
    }

    @Test func rpcErrorsCarryTheServersMessage() throws {
        let peer = try GoPeer()
        defer { peer.stop() }
        let cf = try CFPluginConnection(port: peer.port)
        #expect(throws: RPCError(.server, method: "CliRpcCmd.GetApp", message: "App missing not found")) {
            try cf.getApp("missing")
        }
        #expect(throws: RPCError(.server, method: "CliRpcCmd.NoSuch", message: "rpc: can't find method CliRpcCmd.NoSuch")) {
            let _: Bool = try cf.call("NoSuch")
        }
        // cliCommand reports the core command's failure after collecting its output, as Go's library does.
        #expect(throws: RPCError(.server, method: "CliRpcCmd.CallCoreCommand", message: "Not logged in. Use 'cf login' to log in.")) {
            try cf.cliCommand(["fail"])
        }
        // A wrong reply type is reported, and the stream stays usable.
        #expect(throws: RPCError.self) {
            let _: Bool = try cf.call("Username")
        }
        #expect(try cf.username() == "peer-user")
        let error = RPCError(.server, method: "CliRpcCmd.GetApp", message: "App missing not found")
        #expect(error.description == "CliRpcCmd.GetApp: App missing not found")
    }

    @Test func manyCallsShareOneConnection() throws {
        let peer = try GoPeer()
        defer { peer.stop() }
        let lines = TraceLines()
        let cf = try CFPluginConnection(port: peer.port, trace: { lines.append($0) })
        #expect(try cf.isMinCliVersion("6.7.0") == true)
        #expect(try cf.isMinCliVersion("8.0.0") == false)
        #expect(try cf.isLoggedIn() == true)
        #expect(try cf.hasAPIEndpoint() == true)
        #expect(try cf.apiEndpoint() == peer.cloudControllerURL)
        #expect(try cf.accessToken() == "bearer peer-token")
        #expect(try cf.username() == "peer-user")
        #expect(
            try cf.getCurrentOrg()
                == Organization(
                    guid: "org-guid", name: "my-org",
                    quotaDefinition: OrganizationQuota(
                        guid: "quota-guid", name: "default", memoryLimit: 10240, instanceMemoryLimit: -1, routesLimit: 1000,
                        servicesLimit: 100, nonBasicServicesAllowed: true)))
        #expect(try cf.getCurrentSpace() == Space(guid: "space-guid", name: "dev"))
        #expect(try cf.cliCommand(["apps", "--labels"], silently: true) == ["ran: apps --labels", "silent=true success=true"])
        #expect(try cf.getApp("my-app").name == "my-app")
        let stats: String = try cf.call("Stats")
        #expect(
            stats
                == "connections=1 calls=IsMinCliVersion,IsMinCliVersion,IsLoggedIn,HasAPIEndpoint,ApiEndpoint,AccessToken,Username,GetCurrentOrg,GetCurrentSpace,DisableTerminalOutput,CallCoreCommand,GetOutputAndReset,GetApp"
        )
        let traced = lines.all
        #expect(traced.count == 14)
        #expect(traced.first?.hasPrefix("RPC CliRpcCmd.IsMinCliVersion seq=0 ") == true)
        #expect(traced.last?.hasPrefix("RPC CliRpcCmd.Stats seq=13 ") == true)
        #expect(traced.allSatisfy { $0.hasSuffix(": ok") })
        #expect(!traced.contains { $0.contains("peer-token") })
    }

    @Test func aConnectionPerCallWorksToo() throws {
        let peer = try GoPeer()
        defer { peer.stop() }
        for _ in 0..<3 {
            let cf = try CFPluginConnection(port: peer.port)
            #expect(try cf.username() == "peer-user")
            cf.close()
            #expect(throws: RPCError.self) { try cf.username() }
        }
        let stats: String = try CFPluginConnection(port: peer.port).call("Stats")
        #expect(stats.hasPrefix("connections=4 calls=Username,Username,Username"))
    }

    @Test func connectingToAClosedPortFails() throws {
        let peer = try GoPeer()
        let port = peer.port
        peer.stop()
        #expect(throws: RPCError.self) { try CFPluginConnection(port: port) }
    }
}

/// Collects trace lines from any thread.
final class TraceLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}
