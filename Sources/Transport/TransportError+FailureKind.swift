import Health

extension TransportError {
    /// The health tracker's classification of this failure.
    ///
    /// DNS, TLS, failed upgrades, protocol violations and oversized messages are
    /// persistent misconfigurations (the relay waits at least an hour and goes on the naughty
    /// list); refusals, timeouts and peer closes are transient. `invalidURL` and
    /// `addressNotAllowed` (and `dialThrottled`) are local refusals that never reached the network: they map to
    /// `.other` (retried with the normal backoff; the coordinator should not dial such URLs
    /// at all). `relayInformationUnavailable` maps to `.other` too: a relay without a usable
    /// NIP-11 document may still serve its WebSocket perfectly, so it is no evidence of a
    /// misconfigured relay. `.other(text)` goes through Health's text classifier.
    public var failureKind: ConnectionFailureKind {
        switch self {
        case .dnsFailure: .dns
        case .tls: .tlsCertificate
        case .handshakeFailed, .protocolViolation, .messageTooLarge: .protocolError
        case .connectionRefused: .refused
        case .timeout: .timeout
        case .closedByPeer, .notConnected: .closedByPeer
        case .invalidURL, .addressNotAllowed, .dialThrottled: .other
        case .relayInformationUnavailable: .other
        case .other(let text): ConnectionFailureKind(classifying: text)
        }
    }
}
