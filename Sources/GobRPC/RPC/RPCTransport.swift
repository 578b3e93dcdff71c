/// The byte pipe under an RPC client: a TCP socket in use, a recording in tests.
protocol RPCTransport: AnyObject {
    func send(_ bytes: [UInt8]) throws
    /// Up to `maxCount` bytes as soon as some are available; empty at end of stream.
    func receive(maxCount: Int) throws -> [UInt8]
    func close()
}
