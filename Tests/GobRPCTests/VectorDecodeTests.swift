import Foundation
import Testing

@testable import GobRPC

/// Every captured stream decodes completely, into the values the annotations spell out.
@Suite struct VectorDecodeTests {
    /// Decodes a captured direction and checks net/rpc's framing: header, body, header, body...
    /// with sequence numbers counting from 0.
    private func decodeRPC(_ bytes: [UInt8], request: Bool) throws -> [(header: RPCHeaderPair, body: GobMessage)] {
        var decoder = GobDecoder()
        let messages = try decoder.decodeAll(bytes)
        #expect(messages.count % 2 == 0)
        var result: [(RPCHeaderPair, GobMessage)] = []
        for index in stride(from: 0, to: messages.count - 1, by: 2) {
            let header: RPCHeaderPair =
                request
                ? .request(try RPCRequestHeader(gobValue: messages[index].value))
                : .response(try RPCResponseHeader(gobValue: messages[index].value))
            result.append((header, messages[index + 1]))
        }
        return result
    }

    enum RPCHeaderPair {
        case request(RPCRequestHeader)
        case response(RPCResponseHeader)
        var method: String {
            switch self {
            case .request(let h): h.serviceMethod
            case .response(let h): h.serviceMethod
            }
        }
        var seq: UInt64 {
            switch self {
            case .request(let h): h.seq
            case .response(let h): h.seq
            }
        }
    }

    static func allConnections() throws -> [ProtocolVectors.Connection] {
        try ProtocolVectors.processes().values.flatMap { $0 } + ProtocolVectors.connections(in: ProtocolVectors.synthetic)
    }

    @Test func vectorsArePresent() throws {
        let connections = try Self.allConnections()
        // Five plugin runs (2 + 12 + 12 + 12 + 2 connections) and 12 synthetic connections.
        #expect(connections.count == 52)
        // The first connection of each run is a bare connect-and-close.
        #expect(connections.filter { $0.clientToServer.isEmpty && $0.serverToClient.isEmpty }.count == 6)
    }

    @Test func everyConnectionDecodesFully() throws {
        var calls = 0
        for connection in try Self.allConnections() {
            let requests = try decodeRPC(connection.clientToServer, request: true)
            let responses = try decodeRPC(connection.serverToClient, request: false)
            #expect(requests.count == responses.count, "\(connection.name)")
            for (index, (request, response)) in zip(requests, responses).enumerated() {
                #expect(request.header.seq == UInt64(index), "\(connection.name)")
                #expect(response.header.seq == UInt64(index), "\(connection.name)")
                #expect(request.header.method == response.header.method, "\(connection.name)")
                #expect(request.header.method.hasPrefix("CliRpcCmd."), "\(connection.name)")
                if case .response(let header) = response.header, !header.error.isEmpty {
                    // A failed call's body is an empty struct.
                    #expect(response.body.value == .structure([:]), "\(connection.name)")
                }
                calls += 1
            }
        }
        #expect(calls >= 50)
    }

    @Test func everyAnnotatedVectorDecodesFully() throws {
        let names = try ProtocolVectors.messageNames()
        #expect(names.count == 10)
        for name in names {
            var decoder = GobDecoder()
            let messages = try decoder.decodeAll(try ProtocolVectors.message(name))
            #expect(!messages.isEmpty, "\(name)")
        }
    }

    @Test func pluginMetadataFromInstall() throws {
        let expected = ProtocolVectors.installedMetadata
        let decoded = try decodeRPC(try ProtocolVectors.message("setpluginmetadata_c2s"), request: true)
        #expect(decoded.count == 1)
        #expect(decoded[0].header.method == "CliRpcCmd.SetPluginMetadata")
        #expect(try PluginMetadata(gobValue: decoded[0].body.value) == expected)

        let install = try ProtocolVectors.connection(ProtocolVectors.captured.appendingPathComponent("18607-conn02.txt"))
        let captured = try decodeRPC(install.clientToServer, request: true)
        let metadata = try PluginMetadata(gobValue: captured[0].body.value)
        #expect(metadata == expected)
        let replies = try decodeRPC(install.serverToClient, request: false)
        #expect(try Bool(gobValue: replies[0].body.value) == true)
    }

    @Test func typeDefinitionsAreKeptPerStream() throws {
        var decoder = GobDecoder()
        _ = try decoder.decodeAll(try ProtocolVectors.message("setpluginmetadata_c2s"))
        #expect(decoder.types[65] == .structure(name: "Request", fields: [.init(name: "ServiceMethod", id: 6), .init(name: "Seq", id: 3)]))
        #expect(decoder.types[71] == .slice(name: "[]plugin.Command", elem: 68))
        #expect(decoder.types[70] == .map(name: "map[string]string", key: 6, elem: 6))
        // 66 names 67 and 71 before they are defined: forward references resolve afterwards.
        #expect(try decoder.type(forID: 66) == PluginMetadata.gobType)
    }

    @Test func getAppFromSyntheticCapture() throws {
        for bytes in [
            try ProtocolVectors.message("getapp_ok_s2c_synthetic"),
            try ProtocolVectors.connection(ProtocolVectors.synthetic.appendingPathComponent("conn05.txt")).serverToClient,
        ] {
            let replies = try decodeRPC(bytes, request: false)
            #expect(replies.count == 1)
            guard case .response(let header) = replies[0].header else { Issue.record("not a response"); continue }
            #expect(header.serviceMethod == "CliRpcCmd.GetApp")
            #expect(header.error == "")
            let app = try GetAppModel(gobValue: replies[0].body.value)
            let start = Date(timeIntervalSince1970: 1_704_164_645 + 6e-9)
            #expect(app.guid == "app-guid")
            #expect(app.name == "my-app")
            #expect(app.environmentVars.count == 1)
            #expect(app.environmentVars["K"] == .interface(.string("v")))
            #expect(app.environmentVars["K"]?.stringValue == "v")
            #expect(app.instanceCount == 2)
            #expect(app.memory == 256)
            #expect(app.state == "started")
            #expect(app.packageUpdatedAt == start)
            #expect(app.stack == GetAppStack(guid: "stack-guid", name: "cflinuxfs4"))
            #expect(app.instances == [GetAppInstance(state: "running", since: start, cpuUsage: 0.5, memUsage: 1024)])
            #expect(
                app.routes == [GetAppRoute(guid: "r1", host: "my-app", domain: GetAppDomain(guid: "d1", name: "example.com"), path: "/p")])
            #expect(app.routeURLs == ["my-app.example.com/p"])
            #expect(app.services.isEmpty)
            #expect(app.diskQuota == 0 && app.buildpackUrl == "" && app.runningInstances == 0)
        }
    }

    @Test func timeInGetAppIsVersion1UTC() throws {
        var decoder = GobDecoder()
        let messages = try decoder.decodeAll(try ProtocolVectors.message("getapp_ok_s2c_synthetic"))
        guard case .structure(let fields) = messages[1].value, case .encoded(let bytes)? = fields["PackageUpdatedAt"] else {
            Issue.record("PackageUpdatedAt missing")
            return
        }
        let time = try GobTime(marshaled: bytes)
        #expect(time == GobTime(secondsSinceYear1: 63_839_761_445, nanoseconds: 6, utcOffset: nil))
        #expect(time.marshaled == bytes)
        // GobEncoderT definitions key by the message id (69), not CommonType.Id (78).
        #expect(decoder.types[69] == .external(name: "", kind: .gobEncoder))
        #expect(decoder.types[78] == nil)
    }

    @Test func rpcErrorsFromRealCF() throws {
        let message = "No API endpoint set. Use 'cf login' or 'cf api' to target an endpoint."
        let getApp = try decodeRPC(try ProtocolVectors.message("getapp_error_s2c"), request: false)
        guard case .response(let header) = getApp[0].header else { Issue.record("not a response"); return }
        #expect(header.error == message)
        #expect(getApp[0].body.value == .structure([:]))

        let command = try decodeRPC(try ProtocolVectors.message("clicommand_apps_error_s2c"), request: false)
        #expect(command.map(\.header.method) == [
            "CliRpcCmd.DisableTerminalOutput", "CliRpcCmd.CallCoreCommand", "CliRpcCmd.GetOutputAndReset",
        ])
        guard case .response(let callHeader) = command[1].header else { Issue.record("not a response"); return }
        #expect(callHeader.error == message)
        #expect(try [String](gobValue: command[2].body.value) == [""])
    }

    @Test func requestsFromAnnotations() throws {
        let minVersion = try decodeRPC(try ProtocolVectors.message("isminversion_c2s"), request: true)
        #expect(minVersion[0].header.method == "CliRpcCmd.IsMinCliVersion")
        #expect(minVersion[0].body.value == .string("6.7.0"))
        #expect(minVersion[0].body.typeID == 6)

        let command = try decodeRPC(try ProtocolVectors.message("clicommand_apps_c2s"), request: true)
        #expect(command.map(\.body.value) == [.bool(true), .list([.string("apps")]), .bool(true)])
        #expect(command.map(\.header.seq) == [0, 1, 2])

        var decoder = GobDecoder()
        let strings = try decoder.decodeAll(try ProtocolVectors.message("strings_standalone"))
        #expect(try [String](gobValue: strings[0].value) == ["fast-push", "my-app"])
    }

    @Test func organizationAndSpace() throws {
        let real = try decodeRPC(try ProtocolVectors.message("getcurrentorg_s2c"), request: false)
        #expect(try Organization(gobValue: real[0].body.value) == Organization())

        let org = try decodeRPC(
            try ProtocolVectors.connection(ProtocolVectors.synthetic.appendingPathComponent("conn08.txt")).serverToClient,
            request: false)
        #expect(try Organization(gobValue: org[0].body.value) == Organization(guid: "org-guid", name: "my-org"))

        let space = try decodeRPC(
            try ProtocolVectors.connection(ProtocolVectors.synthetic.appendingPathComponent("conn09.txt")).serverToClient,
            request: false)
        #expect(try Space(gobValue: space[0].body.value) == Space())
    }

    @Test func syntheticScalarReplies() throws {
        func reply(_ file: String) throws -> (RPCResponseHeader, GobValue) {
            let replies = try decodeRPC(
                try ProtocolVectors.connection(ProtocolVectors.synthetic.appendingPathComponent(file)).serverToClient,
                request: false)
            guard case .response(let header) = replies.last!.header else { throw VectorError("not a response") }
            return (header, replies.last!.body.value)
        }
        #expect(try reply("conn10.txt").1 == .string("admin"))
        #expect(try reply("conn07.txt").1 == .bool(false))
        #expect(try reply("conn11.txt").0.error == "rpc: can't find method CliRpcCmd.NoSuch")
        #expect(try reply("conn06.txt").0.error == "App missing not found")
        #expect(try reply("conn04.txt").1 == .list([.string("line one"), .string("line two")]))
    }
}
