import AsyncHTTPClient
import Glibc
import NIOCore
import NIOPosix
import NIOSSL

/// Why a connection to a server failed, in plain words, from the errors of the HTTP client and SwiftNIO
/// underneath it (which describe themselves as `connection reset (error set): Connection refused (errno: 111)`).
enum ConnectionFailure: Equatable {
    case refused
    case nameNotFound(String)
    case unreachable
    case tls(String)
    case timeout
    case closed
    case other(String)

    init(_ error: any Error) {
        switch error {
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                self = .nameNotFound(error.host)
            } else if let first = error.connectionErrors.first {
                self.init(first.error)
            } else {
                self = .other("\(error)")
            }
        case let error as SocketAddressError:
            if case .unknown(let host, _) = error { self = .nameNotFound(host) } else { self = .other("\(error)") }
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: self = .refused
            case ENETUNREACH, EHOSTUNREACH: self = .unreachable
            case ETIMEDOUT: self = .timeout
            case ECONNRESET, EPIPE: self = .closed
            default: self = .other("\(error)")
            }
        case let error as NIOSSLError:
            self = .tls("\(error)")
        case let error as BoringSSLError:
            self = .tls("\(error)")
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .getConnectionFromPoolTimeout:
                self = .timeout
            case .tlsHandshakeTimeout: self = .tls("the TLS handshake timed out")
            case .remoteConnectionClosed: self = .closed
            default: self = .other("\(error)")
            }
        default:
            self = .other("\(error)")
        }
    }

    /// `what` could not be reached at `url`: the cause in plain words, then what to try.
    func message(reaching what: String, at url: String, tlsHint: String?) -> String {
        switch self {
        case .refused:
            return "cannot reach \(what) at \(url): the connection was refused (nothing listens there)"
        case .nameNotFound(let host):
            return "cannot reach \(what) at \(url): the host name \(host) was not found (check its spelling and your DNS or VPN)"
        case .unreachable:
            return "cannot reach \(what) at \(url): the network has no route to it (check your network or VPN)"
        case .tls(let detail):
            return "cannot reach \(what) at \(url): the TLS connection failed (\(detail))" + (tlsHint.map { "; \($0)" } ?? "")
        case .timeout:
            return "cannot reach \(what) at \(url): it did not answer in time (check your network, proxy or VPN)"
        case .closed:
            return "cannot reach \(what) at \(url): the connection was closed before an answer came"
        case .other(let detail):
            return "cannot reach \(what) at \(url) (\(detail))"
        }
    }
}
