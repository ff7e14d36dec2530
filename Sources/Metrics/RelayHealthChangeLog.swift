import Health

/// One log line per relay whose health changed between two snapshots, with the reason:
/// consecutive failures, the next attempt (ISO-8601 and relative) and the last error.
///
/// ```
/// relay wss://relay.example.com health: healthy -> degraded (2 consecutive failures;
///   next attempt at 2026-12-04T16:58:36Z (in 10s); last error: connection refused)
/// ```
public enum RelayHealthChangeLog {
    /// The lines for every relay tracked in both `old` and `new` whose health differs.
    public static func lines(from old: SyncMetricsSnapshot, to new: SyncMetricsSnapshot, now: Double) -> [String] {
        var before: [String: RelayHealthStatus] = [:]
        for relay in old.distinctRelays { before[relay.url.description] = relay.health }
        return new.distinctRelays.compactMap { relay in
            guard let was = before[relay.url.description], was != relay.health else { return nil }
            return "relay \(relay.url) health: \(was.name) -> \(relay.health.name) (\(reason(relay, now: now)))"
        }
    }

    static func reason(_ relay: RelayMetricsSnapshot, now: Double) -> String {
        var parts: [String] = []
        switch relay.health {
        case .healthy: parts.append("connected")
        case .rateLimited: parts.append("rate limited")
        default: break
        }
        if relay.consecutiveFailures > 0 {
            parts.append("\(relay.consecutiveFailures) consecutive failure\(relay.consecutiveFailures == 1 ? "" : "s")")
        }
        if let at = relay.nextRetryAt, at > now { parts.append("next attempt at \(DurationText.instant(at, now: now))") }
        if relay.health != .healthy, let error = relay.lastError { parts.append("last error: \(error)") }
        return parts.isEmpty ? relay.connectionStatus.description : parts.joined(separator: "; ")
    }
}
