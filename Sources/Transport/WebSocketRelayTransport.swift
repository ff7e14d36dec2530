import Logging
import Nostr

/// The production transport: WebSocket connections (ws and wss) to remote relays, each
/// URL checked by the SSRF guard first.
public struct WebSocketRelayTransport: RelayTransport {
    public let configuration: WebSocketTransportConfiguration
    let logger: Logger

    public init(configuration: WebSocketTransportConfiguration = WebSocketTransportConfiguration(),
                logger: Logger = Logger(label: "grasp-sync.transport")) {
        self.configuration = configuration
        self.logger = logger
    }

    public func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession {
        try configuration.addressPolicy.check(url)
        let session = WebSocketRelaySession(url: url, configuration: configuration, logger: logger)
        try await session.open()
        return session
    }
}
