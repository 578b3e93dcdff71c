import Glibc
import Synchronization

/// A loopback port nothing listens on: bound to port 0 so the kernel picks it, then released. For a backend
/// port chosen at run time (the demo, tests).
///
/// Between the release and the backend's own bind the port is free, so a second call could be given the same
/// port by the kernel and two backends would race for it. The ports handed out are remembered for the life of
/// the process and never handed out twice.
package func freeLoopbackPort() throws -> UInt16 {
    for _ in 0..<64 {
        let port = try kernelPickedLoopbackPort()
        let isNew = portsHandedOut.withLock { $0.insert(port).inserted }
        if isNew { return port }
    }
    throw LoopbackPortFailure(description: "the kernel keeps offering loopback ports already handed out")
}

private let portsHandedOut = Mutex<Set<UInt16>>([])

private struct LoopbackPortFailure: Error, CustomStringConvertible { let description: String }

private func kernelPickedLoopbackPort() throws -> UInt16 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw LoopbackPortFailure(description: "socket failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
        }
    }
    guard bound else { throw LoopbackPortFailure(description: "cannot bind a loopback port") }
    return UInt16(bigEndian: address.sin_port)
}
