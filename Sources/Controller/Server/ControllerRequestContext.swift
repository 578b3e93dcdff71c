import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the client's address, which the proxy
/// forwards in X-Forwarded-For.
struct ControllerRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
