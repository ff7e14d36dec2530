import Health

/// The node-wide totals of the `/status` document (``RelayStatusDocument``).
///
/// JSON keys: `tracked_relays`, `connected_relays`, `dead_relays` (the values of the
/// `ngit_sync_relays_*_total` gauges), `relays_by_status` (seed status name → count, every
/// status present), `relays_by_health` (health name → count, every health present),
/// `naughty_relays`, `rejected_hot_cache` and `rejected_cold_index` (`event_type` → entries).
public struct RelayStatusTotals: Sendable, Equatable, Codable {
    /// Distinct tracked relays.
    public var trackedRelays: Int
    /// Relays with live sync active.
    public var connectedRelays: Int
    /// Relays whose health is dead.
    public var deadRelays: Int
    /// Relays per connection status name (`"Syncing"` …).
    public var relaysByStatus: [String: Int]
    /// Relays per health name (`"degraded"` …).
    public var relaysByHealth: [String: Int]
    /// Relays on the naughty list.
    public var naughtyRelays: Int
    /// Hot-cache entries per `event_type`.
    public var rejectedHotCache: [String: Int]
    /// Cold-index entries per `event_type`.
    public var rejectedColdIndex: [String: Int]

    /// Computes the totals of `snapshot`, with the same definitions as the metrics.
    public init(_ snapshot: SyncMetricsSnapshot) {
        let relays = snapshot.distinctRelays
        trackedRelays = relays.count
        connectedRelays = snapshot.connectedTotal
        deadRelays = snapshot.deadTotal
        var byStatus = Dictionary(uniqueKeysWithValues: RelayConnectionStatus.allCases.map { ($0.description, 0) })
        var byHealth = Dictionary(uniqueKeysWithValues: RelayHealthStatus.allCases.map { ($0.name, 0) })
        for relay in relays {
            byStatus[relay.connectionStatus.description, default: 0] += 1
            byHealth[relay.health.name, default: 0] += 1
        }
        relaysByStatus = byStatus
        relaysByHealth = byHealth
        naughtyRelays = snapshot.naughtyRelays.count
        rejectedHotCache = Dictionary(
            uniqueKeysWithValues: RejectedIndexEventType.allCases.map { ($0.rawValue, snapshot.rejectedIndex.count(.hot, $0)) })
        rejectedColdIndex = Dictionary(
            uniqueKeysWithValues: RejectedIndexEventType.allCases.map { ($0.rawValue, snapshot.rejectedIndex.count(.cold, $0)) })
    }

    enum CodingKeys: String, CodingKey {
        case trackedRelays = "tracked_relays"
        case connectedRelays = "connected_relays"
        case deadRelays = "dead_relays"
        case relaysByStatus = "relays_by_status"
        case relaysByHealth = "relays_by_health"
        case naughtyRelays = "naughty_relays"
        case rejectedHotCache = "rejected_hot_cache"
        case rejectedColdIndex = "rejected_cold_index"
    }
}
