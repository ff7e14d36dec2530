import NIOSSL

/// Settings of the WebSocket transport.
public struct WebSocketTransportConfiguration: Sendable {
    /// Largest inbound message accepted (default 4 MB); larger ones end the connection.
    public var maxInboundMessageBytes: Int
    /// Largest outbound message (default 128 KiB: strfry drops connections above it).
    public var maxOutboundMessageBytes: Int
    /// How long connecting (TCP, TLS, upgrade) may take, in seconds.
    public var connectTimeout: Double
    /// Keepalive ping interval in seconds (nil disables pings).
    public var pingInterval: Double?
    /// Offer permessage-deflate.
    public var compression: Bool
    /// TLS settings for wss (default: system trust roots, full verification).
    public var tlsConfiguration: TLSConfiguration
    /// Which addresses may be dialled (SSRF guard).
    public var addressPolicy: AddressPolicy

    public init(maxInboundMessageBytes: Int = 4 * 1024 * 1024, maxOutboundMessageBytes: Int = 128 * 1024,
                connectTimeout: Double = 10, pingInterval: Double? = 30, compression: Bool = true,
                tlsConfiguration: TLSConfiguration = .makeClientConfiguration(), addressPolicy: AddressPolicy = AddressPolicy()) {
        self.maxInboundMessageBytes = maxInboundMessageBytes
        self.maxOutboundMessageBytes = maxOutboundMessageBytes
        self.connectTimeout = connectTimeout
        self.pingInterval = pingInterval
        self.compression = compression
        self.tlsConfiguration = tlsConfiguration
        self.addressPolicy = addressPolicy
    }
}
