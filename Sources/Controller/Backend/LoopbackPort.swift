import Glibc
import Synchronization

/// A loopback port nothing listens on, for a backend port chosen at run time (the demo, tests).
///
/// The port is free when chosen and taken by the backend later, so anything that picks a port meanwhile could take
/// it first. Three things keep that from happening: ports come from below the kernel's usual ephemeral range
/// (32768 and up), where neither outgoing connections nor other programs' `bind` to port 0 look; each process
/// walks that range from its own starting point, derived from its process ID; and a process never hands out the
/// same port twice.
package func freeLoopbackPort() throws -> UInt16 {
    try portSearch.withLock { search in
        for _ in 0..<candidatePorts.count {
            let port = candidatePorts.lowerBound + (search.offset % candidatePorts.count)
            search.offset += 1
            guard !search.handedOut.contains(UInt16(port)), isFreeLoopbackPort(UInt16(port)) else { continue }
            search.handedOut.insert(UInt16(port))
            return UInt16(port)
        }
        throw LoopbackPortFailure(description: "no free loopback port in \(candidatePorts)")
    }
}

private let candidatePorts = 20_000..<32_000

private let portSearch = Mutex<(offset: Int, handedOut: Set<UInt16>)>(
    (offset: Int(getpid()) &* 7_919 % candidatePorts.count, handedOut: []))

private struct LoopbackPortFailure: Error, CustomStringConvertible { let description: String }

/// Whether `port` can be bound on 127.0.0.1 now.
private func isFreeLoopbackPort(_ port: UInt16) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
