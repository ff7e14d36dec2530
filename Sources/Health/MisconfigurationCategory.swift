/// The kinds of connection failure that point at persistent misconfiguration of a relay
/// rather than transient network trouble (the naughty-list categories; decisions: Naughty list).
///
/// The raw values are the `category` label of `ngit_sync_naughty_relays_total` and
/// `ngit_sync_naughty_relay_info` (decisions: Binding metric names and encodings).
public enum MisconfigurationCategory: String, Sendable, CaseIterable, Hashable, Codable {
    /// The host name does not resolve.
    case dnsLookupFailed = "dns_lookup_failed"
    /// The TLS certificate is invalid, expired, self-signed or for another name, or the TLS
    /// handshake fails for a reason that is not a timeout.
    case tlsCertificateInvalid = "tls_certificate_invalid"
    /// The server answers, but not as a WebSocket relay (failed upgrade, invalid frames).
    case protocolError = "protocol_error"

    /// The failure kind Transport reports for this category.
    public var failureKind: ConnectionFailureKind {
        switch self {
        case .dnsLookupFailed: .dns
        case .tlsCertificateInvalid: .tlsCertificate
        case .protocolError: .protocolError
        }
    }
}
