import Foundation
import Testing

@testable import GobRPC

/// The client's handling of replies that do not fit: it never misreads a later reply.
@Suite struct RPCClientTests {
    /// A reply stream as a Go server would write it: header, then body, per call.
    private func replies(_ calls: [(header: RPCResponseHeader, body: GobValue, type: GobType)]) throws -> [UInt8] {
        var encoder = GobEncoder(registry: GobTypeRegistry())
        var bytes: [UInt8] = []
        for call in calls {
            bytes += try encoder.encode(call.header.gobValue, as: RPCResponseHeader.gobType)
            bytes += try encoder.encode(call.body, as: call.type)
        }
        return bytes
    }

    @Test func wrongSequenceNumberPoisonsTheConnection() throws {
        let transport = ReplayTransport(
            replying: try replies([
                (RPCResponseHeader(serviceMethod: "CliRpcCmd.Username", seq: 5), .string("x"), .string),
                (RPCResponseHeader(serviceMethod: "CliRpcCmd.Username", seq: 1), .string("y"), .string),
            ]))
        let cf = CFPluginConnection(client: RPCClient(transport: transport, registry: GobTypeRegistry()))
        #expect(throws: RPCError(.invalidReply, method: "CliRpcCmd.Username", message: "reply has sequence number 5, expected 0")) {
            try cf.username()
        }
        #expect(transport.closed)
        #expect(throws: RPCError.self) { try cf.username() }
    }

    @Test func serverErrorsDiscardTheBodyAndKeepGoing() throws {
        let empty = GobType.structure(name: "", fields: [])
        let transport = ReplayTransport(
            replying: try replies([
                (RPCResponseHeader(serviceMethod: "CliRpcCmd.AccessToken", seq: 0, error: "not a compact JWS"), .structure([:]), empty),
                (RPCResponseHeader(serviceMethod: "CliRpcCmd.AccessToken", seq: 1), .string("bearer t"), .string),
            ]))
        let cf = CFPluginConnection(client: RPCClient(transport: transport, registry: GobTypeRegistry()))
        #expect(throws: RPCError(.server, method: "CliRpcCmd.AccessToken", message: "not a compact JWS")) {
            try cf.accessToken()
        }
        #expect(try cf.accessToken() == "bearer t")
    }

    @Test func aClosedConnectionIsAConnectionError() throws {
        let full = try replies([(RPCResponseHeader(serviceMethod: "CliRpcCmd.IsLoggedIn", seq: 0), .bool(true), .bool)])
        for cut in [0, 10, full.count - 1] {
            let transport = ReplayTransport(replying: Array(full.prefix(cut)))
            let cf = CFPluginConnection(client: RPCClient(transport: transport, registry: GobTypeRegistry()))
            do {
                _ = try cf.isLoggedIn()
                Issue.record("a reply cut at \(cut) was accepted")
            } catch let error as RPCError {
                #expect(error.kind == .connection, "\(error)")
                #expect(error.method == "CliRpcCmd.IsLoggedIn")
            }
        }
    }

    @Test func traceReportsEachCallWithoutValues() throws {
        let transport = ReplayTransport(
            replying: try replies([
                (RPCResponseHeader(serviceMethod: "CliRpcCmd.AccessToken", seq: 0), .string("bearer secret"), .string),
                (RPCResponseHeader(serviceMethod: "CliRpcCmd.GetApp", seq: 1, error: "App x not found"), .structure([:]),
                    .structure(name: "", fields: [])),
            ]))
        let lines = TraceLines()
        let cf = CFPluginConnection(client: RPCClient(transport: transport, registry: GobTypeRegistry(), trace: { lines.append($0) }))
        _ = try cf.accessToken()
        _ = try? cf.getApp("x")
        #expect(lines.all.count == 2)
        #expect(lines.all[0].hasPrefix("RPC CliRpcCmd.AccessToken seq=0 ") && lines.all[0].hasSuffix(": ok"))
        #expect(lines.all[1].hasPrefix("RPC CliRpcCmd.GetApp seq=1 ") && lines.all[1].hasSuffix(": error: App x not found"))
        #expect(!lines.all.joined().contains("secret"))
    }
}
