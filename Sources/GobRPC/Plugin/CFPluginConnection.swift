/// The cf CLI's plugin RPC service (`CliRpcCmd`), as a plugin sees it.
///
/// cf passes its port as the plugin's first argument and listens on 127.0.0.1. One connection
/// can carry any number of calls; cf's own Go library opens one per call, which also works.
public struct CFPluginConnection: Sendable {
    public let client: RPCClient

    /// Connects to cf on 127.0.0.1:`port`. `trace` receives one line per call.
    public init(port: Int, trace: RPCClient.Trace? = nil) throws {
        client = try RPCClient(port: port, trace: trace)
    }

    public init(client: RPCClient) {
        self.client = client
    }

    /// Calls `CliRpcCmd.<method>`.
    public func call<Reply: GobConvertible>(
        _ method: String, _ argument: some GobConvertible = "", returning: Reply.Type = Reply.self
    ) throws -> Reply {
        try client.call("CliRpcCmd." + method, argument)
    }

    public func close() { client.close() }

    // MARK: Plugin lifecycle

    /// Registers the plugin during `cf install-plugin` (argv `PORT SendMetadata`).
    @discardableResult
    public func setPluginMetadata(_ metadata: PluginMetadata) throws -> Bool {
        try call("SetPluginMetadata", metadata)
    }

    /// Whether cf is at least `version` ("M.m.b").
    public func isMinCliVersion(_ version: String) throws -> Bool { try call("IsMinCliVersion", version) }

    // MARK: Running cf commands

    @discardableResult
    public func disableTerminalOutput(_ disable: Bool) throws -> Bool { try call("DisableTerminalOutput", disable) }

    @discardableResult
    public func callCoreCommand(_ arguments: [String]) throws -> Bool { try call("CallCoreCommand", arguments) }

    public func getOutputAndReset(_ success: Bool) throws -> [String] { try call("GetOutputAndReset", success) }

    /// Runs a cf command the way the Go library's `CliCommand` does (three calls) and returns
    /// its output lines; `silently` keeps cf from also printing them.
    public func cliCommand(_ arguments: [String], silently: Bool = false) throws -> [String] {
        try disableTerminalOutput(silently)
        var success = false
        var commandError: (any Error)?
        do {
            success = try callCoreCommand(arguments)
        } catch {
            commandError = error
        }
        let output = try getOutputAndReset(success)
        if let commandError { throw commandError }
        guard success else {
            throw RPCError(.server, method: "CliRpcCmd.CallCoreCommand", message: "Error executing cli core command")
        }
        return output
    }

    // MARK: Session and target

    public func getCurrentOrg() throws -> Organization { try call("GetCurrentOrg") }
    public func getCurrentSpace() throws -> Space { try call("GetCurrentSpace") }
    public func username() throws -> String { try call("Username") }
    public func userGuid() throws -> String { try call("UserGuid") }
    public func userEmail() throws -> String { try call("UserEmail") }
    public func isLoggedIn() throws -> Bool { try call("IsLoggedIn") }
    public func isSSLDisabled() throws -> Bool { try call("IsSSLDisabled") }
    public func hasOrganization() throws -> Bool { try call("HasOrganization") }
    public func hasSpace() throws -> Bool { try call("HasSpace") }
    public func hasAPIEndpoint() throws -> Bool { try call("HasAPIEndpoint") }
    public func apiEndpoint() throws -> String { try call("ApiEndpoint") }
    public func apiVersion() throws -> String { try call("ApiVersion") }
    public func dopplerEndpoint() throws -> String { try call("DopplerEndpoint") }

    /// A current access token ("bearer ..."); cf refreshes it first if needed.
    public func accessToken() throws -> String { try call("AccessToken") }

    // MARK: Apps

    public func getApp(_ name: String) throws -> GetAppModel { try call("GetApp", name) }
}
