import NIOSSL

/// Settings of the WebSocket transport.
public struct WebSocketTransportConfiguration: Sendable {
    /// Largest inbound message accepted (default 4 MB); a larger one ends the connection
    /// with `.messageTooLarge`.
    public var maxInboundMessageBytes: Int
    /// Largest outbound message (default 128 KiB: strfry drops connections above it); a
    /// larger one is refused by `send` with `.messageTooLarge` and never sent.
    public var maxOutboundMessageBytes: Int
    /// How long connecting (DNS, TCP, TLS, upgrade) may take, in seconds.
    public var connectTimeout: Double
    /// How long a clean close waits for the peer's close frame before dropping the
    /// connection, in seconds.
    public var closeTimeout: Double
    /// Keepalive ping interval in seconds (nil disables pings). When nothing at all arrives
    /// for two intervals the connection ends with `.timeout`; time spent waiting for a slow
    /// consumer (inbound buffer full) does not count.
    public var pingInterval: Double?
    /// Offer permessage-deflate.
    public var compression: Bool
    /// Inbound messages buffered ahead of the consumer before reading pauses.
    public var inboundBufferMessages: Int
    /// Inbound bytes (message text) buffered ahead of the consumer before reading pauses.
    public var inboundBufferBytes: Int
    /// TLS settings for wss (default: system trust roots, full verification). SNI is the
    /// URL's host name, and is left out for IP literals (RFC 6066); an IP literal is then
    /// verified against the certificate's IP subject alternative names.
    public var tlsConfiguration: TLSConfiguration
    /// Which addresses may be dialled (SSRF guard).
    public var addressPolicy: AddressPolicy
    /// The `User-Agent` header of the upgrade request (nil sends none).
    public var userAgent: String?
    /// Dials of one host allowed within a minute, across all its URLs (nil: unlimited).
    public var maxDialsPerHostPerMinute: Int?

    public init(maxInboundMessageBytes: Int = 4 * 1024 * 1024, maxOutboundMessageBytes: Int = 128 * 1024,
                connectTimeout: Double = 10, closeTimeout: Double = 5, pingInterval: Double? = 30, compression: Bool = true,
                inboundBufferMessages: Int = RelayMessageStream.defaultMaxMessages,
                inboundBufferBytes: Int = RelayMessageStream.defaultMaxBytes,
                tlsConfiguration: TLSConfiguration = .makeClientConfiguration(), addressPolicy: AddressPolicy = AddressPolicy(),
                userAgent: String? = "grasp-sync", maxDialsPerHostPerMinute: Int? = nil) {
        self.maxInboundMessageBytes = maxInboundMessageBytes
        self.maxOutboundMessageBytes = maxOutboundMessageBytes
        self.connectTimeout = connectTimeout
        self.closeTimeout = closeTimeout
        self.pingInterval = pingInterval
        self.compression = compression
        self.inboundBufferMessages = inboundBufferMessages
        self.inboundBufferBytes = inboundBufferBytes
        self.tlsConfiguration = tlsConfiguration
        self.addressPolicy = addressPolicy
        self.userAgent = userAgent
        self.maxDialsPerHostPerMinute = maxDialsPerHostPerMinute
    }
}
