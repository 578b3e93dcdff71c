#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking TCP connection over POSIX sockets. A plugin makes one call at a time and waits for
/// each answer, so blocking I/O is the simplest correct choice.
final class TCPTransport: RPCTransport {
    private var descriptor: Int32

    /// Connects to an IPv4 address such as 127.0.0.1, where cf listens for its plugins.
    init(host: String, port: Int) throws {
        guard (1...65535).contains(port) else {
            throw RPCError(.connection, method: "", message: "invalid port \(port)")
        }
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw RPCError(.connection, method: "", message: "invalid IPv4 address '\(host)'")
        }
        #if canImport(Darwin)
        let socketType = SOCK_STREAM
        #else
        let socketType = Int32(SOCK_STREAM.rawValue)
        #endif
        descriptor = socket(AF_INET, socketType, 0)
        guard descriptor >= 0 else { throw Self.failure("socket") }
        var one: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Darwin)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                connect(descriptor, socketAddress, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = Self.failure("connect to \(host):\(port)")
            _ = Glibc_close(descriptor)
            descriptor = -1
            throw error
        }
    }

    deinit { close() }

    func send(_ bytes: [UInt8]) throws {
        guard descriptor >= 0 else { throw RPCError(.connection, method: "", message: "connection is closed") }
        #if canImport(Darwin)
        let flags: Int32 = 0
        #else
        let flags = Int32(MSG_NOSIGNAL)
        #endif
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc_send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, flags)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.failure("send")
            }
            offset += written
        }
    }

    func receive(maxCount: Int) throws -> [UInt8] {
        guard descriptor >= 0 else { throw RPCError(.connection, method: "", message: "connection is closed") }
        var buffer = [UInt8](repeating: 0, count: maxCount)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, maxCount, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.failure("receive")
            }
            return Array(buffer.prefix(count))
        }
    }

    func close() {
        if descriptor >= 0 {
            _ = Glibc_close(descriptor)
            descriptor = -1
        }
    }

    private static func failure(_ operation: String) -> RPCError {
        RPCError(.connection, method: "", message: "\(operation): \(String(cString: strerror(errno)))")
    }
}

/// The libc functions whose names clash with this type's methods.
private func Glibc_close(_ descriptor: Int32) -> Int32 { close(descriptor) }
private func Glibc_send(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    send(descriptor, pointer, count, flags)
}
