import Foundation
import Logging
import NIOSSL
import Nostr

/// The production transport: WebSocket connections (ws and wss) to remote relays. Every
/// URL passes the SSRF guard (`configuration.addressPolicy`) first, and the connection
/// then goes to exactly the addresses the guard checked.
public struct WebSocketRelayTransport: RelayTransport {
    public let configuration: WebSocketTransportConfiguration
    let logger: Logger
    private let tls: TLSContextCache
    /// Per-host dial limit shared by every connection of this transport.
    public let dialThrottle: HostDialThrottle?

    public init(configuration: WebSocketTransportConfiguration = WebSocketTransportConfiguration(),
                logger: Logger = Logger(label: "grasp-sync.transport"), dialThrottle: HostDialThrottle? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.tls = TLSContextCache(configuration: configuration.tlsConfiguration)
        self.dialThrottle = dialThrottle ?? configuration.maxDialsPerHostPerMinute.map { HostDialThrottle(maxPerMinute: $0) }
    }

    public func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession {
        try await connectWebSocket(to: url)
    }

    /// `connect(to:)` with the concrete session type (tests and diagnostics).
    public func connectWebSocket(to url: RelayURL) async throws(TransportError) -> WebSocketRelaySession {
        guard url.scheme == "ws" || url.scheme == "wss" else { throw .invalidURL("\(url): not a ws or wss URL") }
        try dialThrottle?.admit(url.host)
        let sslContext = url.isSecure ? try tls.context() : nil
        let session = WebSocketRelaySession(url: url, configuration: configuration, sslContext: sslContext, logger: logger)
        try await session.open()
        return session
    }
}

/// Builds the client TLS context once per transport (loading the trust roots is costly)
/// and shares it between connections.
final class TLSContextCache: @unchecked Sendable {
    private let configuration: TLSConfiguration
    private let lock = NSLock()
    private var cached: NIOSSLContext?

    init(configuration: TLSConfiguration) {
        self.configuration = configuration
    }

    func context() throws(TransportError) -> NIOSSLContext {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        do {
            let context = try NIOSSLContext(configuration: configuration)
            cached = context
            return context
        } catch {
            throw .tls("cannot set up TLS: \(error)")
        }
    }
}
