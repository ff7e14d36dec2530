/// Connection-level bounds of the served HTTP/WebSocket endpoint (as opposed to the
/// protocol limits of `RelayLimits`, which NIP-11 advertises). Documented in
/// `docs/operations.md`, "Bounds and timeouts".
public struct RelayServerTimeouts: Sendable, Equatable {
    /// Seconds a WebSocket client has to answer our close frame (at shutdown, or after a
    /// protocol error) before the TCP connection is dropped.
    public var closeTimeout: Double
    /// Seconds a new TCP connection has to deliver its complete first request head
    /// (request line and headers) before it is closed with `408 Request Timeout`.
    public var headerReadTimeout: Double
    /// Most bytes of one request head (request line plus headers); a longer head is answered
    /// `431 Request Header Fields Too Large` and the connection is closed.
    public var maxHeaderBytes: Int
    /// Seconds an idle keep-alive HTTP connection (no request in flight) is kept open.
    public var httpIdleTimeout: Double

    public init(closeTimeout: Double = 5, headerReadTimeout: Double = 10, maxHeaderBytes: Int = 16 * 1024,
                httpIdleTimeout: Double = 60) {
        self.closeTimeout = closeTimeout
        self.headerReadTimeout = headerReadTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.httpIdleTimeout = httpIdleTimeout
    }
}

extension Double {
    /// Seconds as a `Duration` (millisecond precision).
    var secondsDuration: Duration { .milliseconds(Int64((self * 1000).rounded())) }
}
