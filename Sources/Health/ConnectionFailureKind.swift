/// Why a connection attempt failed or an established connection ended unexpectedly.
///
/// Transport maps its errors onto these cases; when only an error text is available,
/// ``init(classifying:)`` applies the reference's text classifier (decisions: Naughty list).
/// The kind decides the retry delay: transient kinds use exponential backoff, kinds for
/// which ``isPersistentMisconfiguration`` holds wait at least
/// ``HealthConfiguration/misconfigurationMinimumDelay`` (1 h) and put the relay on the
/// naughty list.
public enum ConnectionFailureKind: String, Sendable, CaseIterable, Hashable, Codable {
    /// The host name did not resolve.
    case dns
    /// The TLS certificate was rejected, or the TLS handshake failed (not timed out).
    case tlsCertificate = "tls_certificate"
    /// The peer is not speaking the WebSocket/Nostr protocol (failed upgrade, bad frames).
    case protocolError = "protocol_error"
    /// The TCP connection was refused.
    case refused
    /// The attempt (connect, TLS or upgrade) timed out.
    case timeout
    /// An established connection was closed or reset by the peer.
    case closedByPeer = "closed_by_peer"
    /// Anything else.
    case other

    /// Whether this failure points at a misconfiguration that retrying soon will not fix.
    ///
    /// True for DNS, TLS-certificate and protocol errors: the reference's naughty-list
    /// categories. Refusals and timeouts are treated as transient (a restarting relay
    /// refuses connections for a few seconds).
    public var isPersistentMisconfiguration: Bool { misconfigurationCategory != nil }

    /// The naughty-list category of this kind, or `nil` for transient kinds.
    public var misconfigurationCategory: MisconfigurationCategory? {
        switch self {
        case .dns: .dnsLookupFailed
        case .tlsCertificate: .tlsCertificateInvalid
        case .protocolError: .protocolError
        case .refused, .timeout, .closedByPeer, .other: nil
        }
    }

    /// A short human-readable description, used as the last-error text when a failure is
    /// recorded without a message.
    public var summary: String {
        switch self {
        case .dns: "DNS lookup failed"
        case .tlsCertificate: "TLS certificate invalid"
        case .protocolError: "protocol error"
        case .refused: "connection refused"
        case .timeout: "timed out"
        case .closedByPeer: "connection closed by peer"
        case .other: "connection failed"
        }
    }
}
