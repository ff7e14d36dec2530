import Hummingbird
import HummingbirdWebSocket

/// The request context of the WebSocket route: Hummingbird's basic WebSocket context plus
/// the socket peer's IP, which the per-IP write budget needs.
public struct RelayWebSocketRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The TCP peer's IP (the proxy's, behind a reverse proxy).
    public let peerIP: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        peerIP = source.channel.remoteAddress?.ipAddress
    }
}
