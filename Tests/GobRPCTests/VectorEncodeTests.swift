import Foundation
import Testing

@testable import GobRPC

/// The plugin's side of every capture is reproduced byte for byte: by re-encoding the decoded
/// messages, and by a client making the same typed calls against the captured replies.
@Suite struct VectorEncodeTests {
    /// Type ids are per process in Go, so each captured run gets one registry for all its connections.
    static func runs() throws -> [(name: String, connections: [ProtocolVectors.Connection])] {
        var runs = try ProtocolVectors.processes().sorted { $0.key < $1.key }.map { (name: $0.key, connections: $0.value) }
        runs.append((name: "synthetic", connections: try ProtocolVectors.connections(in: ProtocolVectors.synthetic)))
        return runs
    }

    @Test func reencodingDecodedMessagesGivesCapturedBytes() throws {
        var checked = 0
        for run in try Self.runs() {
            let registry = GobTypeRegistry()
            for connection in run.connections where !connection.clientToServer.isEmpty {
                var decoder = GobDecoder()
                let messages = try decoder.decodeAll(connection.clientToServer)
                var encoder = GobEncoder(registry: registry)
                var bytes: [UInt8] = []
                for message in messages {
                    bytes += try encoder.encode(message.value, as: try decoder.type(forID: message.typeID))
                }
                #expect(bytes.hex == connection.clientToServer.hex, "\(run.name) \(connection.name)")
                checked += 1
            }
        }
        #expect(checked == 46)
    }

    /// Replays one connection through `CFPluginConnection`, calling what the capture called.
    private func replay(
        clientToServer: [UInt8], serverToClient: [UInt8], registry: GobTypeRegistry
    ) throws -> (sent: [UInt8], results: [String]) {
        var decoder = GobDecoder()
        let messages = try decoder.decodeAll(clientToServer)
        let transport = ReplayTransport(replying: serverToClient)
        let connection = CFPluginConnection(client: RPCClient(transport: transport, registry: registry))
        var results: [String] = []
        var index = 0
        while index < messages.count {
            let method = try RPCRequestHeader(gobValue: messages[index].value).serviceMethod
            let argument = messages[index + 1].value
            index += 2
            do {
                switch method.dropFirst("CliRpcCmd.".count) {
                case "SetPluginMetadata": results.append("\(try connection.setPluginMetadata(try PluginMetadata(gobValue: argument)))")
                case "IsMinCliVersion": results.append("\(try connection.isMinCliVersion(try String(gobValue: argument)))")
                case "DisableTerminalOutput": results.append("\(try connection.disableTerminalOutput(try Bool(gobValue: argument)))")
                case "CallCoreCommand": results.append("\(try connection.callCoreCommand(try [String](gobValue: argument)))")
                case "GetOutputAndReset": results.append("\(try connection.getOutputAndReset(try Bool(gobValue: argument)))")
                case "IsLoggedIn": results.append("\(try connection.isLoggedIn())")
                case "HasAPIEndpoint": results.append("\(try connection.hasAPIEndpoint())")
                case "ApiEndpoint": results.append(try connection.apiEndpoint())
                case "Username": results.append(try connection.username())
                case "AccessToken": results.append(try connection.accessToken())
                case "GetCurrentOrg": results.append(try connection.getCurrentOrg().name)
                case "GetCurrentSpace": results.append(try connection.getCurrentSpace().name)
                case "GetApp": results.append(try connection.getApp(try String(gobValue: argument)).name)
                default:
                    let reply: String = try connection.call(String(method.dropFirst("CliRpcCmd.".count)), try String(gobValue: argument))
                    results.append("\(reply)")
                }
            } catch let error as RPCError {
                #expect(error.kind == .server)
                results.append("error: \(error.message)")
            }
        }
        return (transport.sent, results)
    }

    @Test func typedClientCallsGiveCapturedBytes() throws {
        var checked = 0
        for run in try Self.runs() {
            let registry = GobTypeRegistry()
            for connection in run.connections where !connection.clientToServer.isEmpty {
                let (sent, _) = try replay(
                    clientToServer: connection.clientToServer, serverToClient: connection.serverToClient, registry: registry)
                #expect(sent.hex == connection.clientToServer.hex, "\(run.name) \(connection.name)")
                checked += 1
            }
        }
        #expect(checked == 46)
    }

    @Test func capturedExchangesAreReproduced() throws {
        let pairs = [
            ("setpluginmetadata_c2s", "setpluginmetadata_s2c", ["true"]),
            ("isminversion_c2s", "isminversion_s2c", ["true"]),
            (
                "clicommand_apps_c2s", "clicommand_apps_error_s2c",
                ["true", "error: No API endpoint set. Use 'cf login' or 'cf api' to target an endpoint.", "[\"\"]"]
            ),
        ]
        for (request, response, expected) in pairs {
            let c2s = try ProtocolVectors.message(request)
            let (sent, results) = try replay(
                clientToServer: c2s, serverToClient: try ProtocolVectors.message(response), registry: GobTypeRegistry())
            #expect(sent.hex == c2s.hex, "\(request)")
            #expect(results == expected, "\(request)")
        }
    }

    @Test func pluginMetadataEncodesLikeTheGoLibrary() throws {
        let metadata = ProtocolVectors.installedMetadata
        var encoder = GobEncoder(registry: GobTypeRegistry())
        var bytes = try encoder.encode(
            RPCRequestHeader(serviceMethod: "CliRpcCmd.SetPluginMetadata", seq: 0).gobValue, as: RPCRequestHeader.gobType)
        bytes += try encoder.encode(metadata.gobValue, as: PluginMetadata.gobType)
        #expect(bytes == (try ProtocolVectors.message("setpluginmetadata_c2s")))
    }

    @Test func cliCommandMakesTheGoLibrarysThreeCalls() throws {
        let capture = try ProtocolVectors.connection(ProtocolVectors.synthetic.appendingPathComponent("conn04.txt"))
        let transport = ReplayTransport(replying: capture.serverToClient)
        // In the synthetic run, ids 65-71 went to Request and the metadata types first.
        let registry = GobTypeRegistry()
        _ = registry.id(for: RPCRequestHeader.gobType)
        _ = registry.id(for: PluginMetadata.gobType)
        let connection = CFPluginConnection(client: RPCClient(transport: transport, registry: registry))
        #expect(try connection.cliCommand(["apps"], silently: true) == ["line one", "line two"])
        #expect(transport.sent == capture.clientToServer)
    }
}
