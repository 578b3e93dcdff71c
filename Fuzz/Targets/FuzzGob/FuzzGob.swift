@testable import GobRPC
import FuzzSupport

/// Plays back fixed bytes as what the cf CLI answers, and swallows what the client sends.
final class Playback: RPCTransport {
    private let incoming: [UInt8]
    private var offset = 0

    init(_ incoming: [UInt8]) { self.incoming = incoming }

    func send(_ bytes: [UInt8]) throws {}

    func receive(maxCount: Int) throws -> [UInt8] {
        let count = min(maxCount, incoming.count - offset)
        defer { offset += count }
        return Array(incoming[offset..<offset + count])
    }

    func close() {}
}

/// One input: any bytes as a gob stream, decoded twice: on its own (type definitions, values,
/// interfaces), and as the cf CLI's answer to the plugin's largest call (`GetApp`), through the RPC client's
/// message framing, header check and conversion to ``GetAppModel``. Either must throw or succeed, never crash.
func fuzzGob(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    var decoder = GobDecoder()
    _ = try? decoder.decodeAll(bytes)
    let cf = CFPluginConnection(client: RPCClient(transport: Playback(bytes), registry: GobTypeRegistry()))
    _ = try? cf.getApp("app")
    return 0
}

@main enum FuzzGobMain {
    static func main() { runFuzzer(fuzzGob) }
}
