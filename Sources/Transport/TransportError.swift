/// Why a connection to a remote relay failed or ended, classified so the health tracker
/// can tell a misconfigured relay (wait long) from a transient failure (retry soon).
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not a usable ws/wss relay URL.
    case invalidURL(String)
    /// The SSRF guard refused the address (loopback, private, ...); see `--allow-private-relays`.
    case addressNotAllowed(String)
    /// The host name did not resolve.
    case dnsFailure(String)
    /// TCP connection refused or unreachable.
    case connectionRefused(String)
    /// TLS handshake or certificate failure.
    case tls(String)
    /// The HTTP upgrade to WebSocket failed (wrong path, not a relay, proxy page, ...).
    case handshakeFailed(String)
    /// The peer broke the WebSocket protocol.
    case protocolViolation(String)
    /// A message larger than the configured inbound maximum arrived.
    case messageTooLarge(limit: Int)
    /// Connecting took longer than the connect timeout.
    case timeout
    /// The peer closed the connection (WebSocket close code, reason).
    case closedByPeer(code: Int?, reason: String?)
    /// Sending on a connection that is already closed.
    case notConnected
    /// Not dialled: the host was dialled too often in the last minute (`HostDialThrottle`).
    case dialThrottled(String)
    /// A relay's NIP-11 information document could not be used: the HTTP answer had
    /// `status` other than 200 (redirects are not followed), or (status nil) the answer was
    /// not valid HTTP or its body not a JSON object.
    case relayInformationUnavailable(status: Int?, reason: String)
    /// Anything else, with the underlying text.
    case other(String)

    public var description: String {
        switch self {
        case .invalidURL(let m): return "invalid relay URL: \(m)"
        case .addressNotAllowed(let m): return "address not allowed: \(m)"
        case .dnsFailure(let m): return "DNS failure: \(m)"
        case .connectionRefused(let m): return "connection refused: \(m)"
        case .tls(let m): return "TLS failure: \(m)"
        case .handshakeFailed(let m): return "websocket handshake failed: \(m)"
        case .protocolViolation(let m): return "websocket protocol error: \(m)"
        case .messageTooLarge(let l): return "message larger than \(l) bytes"
        case .timeout: return "connection timed out"
        case .closedByPeer(let code, let reason): return "closed by peer (code \(code.map(String.init) ?? "none"))\(reason.map { ": \($0)" } ?? "")"
        case .notConnected: return "not connected"
        case .dialThrottled(let m): return "dial rate limit: \(m)"
        case .relayInformationUnavailable(let status, let reason):
            return "relay information (NIP-11) unavailable\(status.map { " (HTTP \($0))" } ?? ""): \(reason)"
        case .other(let m): return m
        }
    }
}
