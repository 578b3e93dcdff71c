import Glibc

/// A loopback port nothing listens on: bound to port 0 so the kernel picks it, then released. For a backend
/// port chosen at run time (the demo, tests).
package func freeLoopbackPort() throws -> UInt16 {
    struct Failure: Error, CustomStringConvertible { let description: String }
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw Failure(description: "socket failed") }
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
    guard bound else { throw Failure(description: "cannot bind a loopback port") }
    return UInt16(bigEndian: address.sin_port)
}
