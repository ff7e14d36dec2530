/// The derived health of a remote relay.
///
/// The raw values are the encoding of the `ngit_sync_relay_status` gauge (decisions: Binding
/// metric names and encodings; dashboards and tests rely on them): 1 healthy, 2 disconnected, 3 degraded,
/// 4 dead, 5 rate_limited.
///
/// The status is derived from the relay's record and the current time in this order
/// (as in the reference, the first match wins; decisions: Health tracker):
/// 1. a rate-limit cooldown is running → ``rateLimited``;
/// 2. a failure streak has lasted ``HealthConfiguration/deadThreshold`` → ``dead``;
/// 3. failures are not yet forgiven (failing, or connected but still inside the stability
///    period) → ``degraded``;
/// 4. connected → ``healthy``;
/// 5. otherwise → ``disconnected``.
public enum RelayHealthStatus: Int, Sendable, CaseIterable, Hashable {
    /// Connected, and any earlier failures have been forgiven.
    case healthy = 1
    /// Not connected, with no failures outstanding (never connected, or closed by us).
    case disconnected = 2
    /// Failing with backoff, or reconnected but not yet stable for the stability period.
    case degraded = 3
    /// Failing continuously for at least the dead threshold (24 h); retried once a day.
    case dead = 4
    /// The relay asked us to slow down; a cooldown is running.
    case rateLimited = 5

    /// The snake-case name used in the metric help text and the `/status` document.
    public var name: String {
        switch self {
        case .healthy: "healthy"
        case .disconnected: "disconnected"
        case .degraded: "degraded"
        case .dead: "dead"
        case .rateLimited: "rate_limited"
        }
    }

    /// The status with the given ``name``, if any.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}
