/// Turns a host name into addresses for the SSRF guard. The guard resolves once per
/// connection attempt and the transport dials exactly what this returned, so a resolver is
/// asked at most once per attempt (tests inject a double to show a second, different
/// answer is never used).
public protocol HostResolver: Sendable {
    /// Every address `host` has, in the order to try them; throws `.dnsFailure` when the
    /// name does not resolve.
    func resolve(_ host: String) async throws(TransportError) -> [AddressPolicy.ResolvedAddress]
}
