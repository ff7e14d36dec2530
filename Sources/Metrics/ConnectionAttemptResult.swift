/// The outcome of one connection attempt to a remote relay: the `result` label of
/// `ngit_sync_connection_attempts_total`.
public enum ConnectionAttemptResult: String, Sendable, CaseIterable, Hashable, Codable {
    /// The WebSocket was established.
    case success
    /// The attempt failed (refused, timed out, DNS, TLS, protocol, …).
    case failure
}
