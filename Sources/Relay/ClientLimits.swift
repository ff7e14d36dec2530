/// Abuse limits of the served relay: write budgets (token buckets per connection and per
/// client IP) and connection caps (per IP and in total). The defaults are the node's
/// (`--max-events-per-sec-per-connection` and friends, see README); an in-process relay
/// built without `ClientLimits` enforces none.
public struct ClientLimits: Sendable, Equatable {
    /// Sustained EVENT messages per second one connection may send.
    public var eventsPerSecondPerConnection: Double
    /// EVENT messages one connection may send in a burst (bucket size).
    public var eventBurstPerConnection: Int
    /// Sustained EVENT messages per second all connections of one client IP may send.
    public var eventsPerSecondPerIP: Double
    /// EVENT messages one client IP may send in a burst.
    public var eventBurstPerIP: Int
    /// Open WebSocket connections one client IP may hold.
    public var maxConnectionsPerIP: Int
    /// Open WebSocket connections in total.
    public var maxConnections: Int
    /// `Retry-After` (seconds) sent with a 503 refusal of a connection.
    public var retryAfterSeconds: Int
    /// The request header that carries the client IP behind a reverse proxy (for example
    /// `X-Forwarded-For` or `X-Real-IP`). Nil: the socket's peer address, and every such
    /// header is ignored (a client could otherwise pick its own IP). Only set it when every
    /// connection comes through a proxy that overwrites or appends the header.
    public var trustedProxyHeader: String?

    /// Defaults: per connection 10 events/s with a burst of 100 (a patch series of 100
    /// commits goes through at once); per IP 20 events/s with a burst of 300 (a few
    /// clients behind one NAT); 20 connections per IP, 1,000 in total; retry after 10 s.
    public init(eventsPerSecondPerConnection: Double = 10, eventBurstPerConnection: Int = 100,
                eventsPerSecondPerIP: Double = 20, eventBurstPerIP: Int = 300,
                maxConnectionsPerIP: Int = 20, maxConnections: Int = 1000, retryAfterSeconds: Int = 10,
                trustedProxyHeader: String? = nil) {
        self.eventsPerSecondPerConnection = eventsPerSecondPerConnection
        self.eventBurstPerConnection = eventBurstPerConnection
        self.eventsPerSecondPerIP = eventsPerSecondPerIP
        self.eventBurstPerIP = eventBurstPerIP
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.maxConnections = maxConnections
        self.retryAfterSeconds = retryAfterSeconds
        self.trustedProxyHeader = trustedProxyHeader
    }
}
