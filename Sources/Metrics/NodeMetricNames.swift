/// The exact names of every metric ``NodeMetrics`` exports.
///
/// The `ngit_sync_*` names, label sets and encodings are those of the reference
/// implementation (decisions: Binding metric names and encodings; dashboards, alerts and the
/// reference test suite query them). The `grasp_relay_*` names describe the relay this node serves; they are ours.
/// `docs/metrics.md` documents every one of them.
public enum NodeMetricNames {
    // MARK: Sync (the reference's)

    /// Gauge `{relay}`: the connection status, ``Health/RelayConnectionStatus`` raw value
    /// (0 disconnected, 1 connecting, 2 syncing, 3 connected,
    /// 4 connected_historic_sync_failures, 5 disconnecting).
    public static let relayConnected = "ngit_sync_relay_connected"
    /// Counter `{relay, result}`: connection attempts by outcome (`success` / `failure`).
    public static let connectionAttempts = "ngit_sync_connection_attempts_total"
    /// Gauge `{relay}`: the health status, ``Health/RelayHealthStatus`` raw value
    /// (1 healthy, 2 disconnected, 3 degraded, 4 dead, 5 rate_limited).
    public static let relayStatus = "ngit_sync_relay_status"
    /// Gauge `{relay}`: consecutive failures not yet forgiven.
    public static let relayFailures = "ngit_sync_relay_failures"
    /// Counter, no labels: events the sync pipeline newly saved.
    public static let eventsSynced = "ngit_sync_events_synced_total"
    /// Gauge, no labels: relays the sync engine tracks.
    public static let relaysTracked = "ngit_sync_relays_tracked_total"
    /// Gauge, no labels: relays with an open connection (syncing, connected or
    /// connected_historic_sync_failures).
    public static let relaysConnected = "ngit_sync_relays_connected_total"
    /// Gauge, no labels: relays whose health is dead.
    public static let relaysDead = "ngit_sync_relays_dead_total"
    /// Gauge `{category}`: relays on the naughty list per misconfiguration category; all
    /// three categories are always present.
    public static let naughtyRelays = "ngit_sync_naughty_relays_total"
    /// Gauge `{relay, category, reason}`: one series per naughty relay, value = occurrences.
    public static let naughtyRelayInfo = "ngit_sync_naughty_relay_info"

    // MARK: Rejected-events index (the reference's, label `event_type`)

    /// Gauge `{event_type}`: entries in the hot cache of that type.
    public static let rejectedHotCacheCurrent = "ngit_sync_rejected_hot_cache_current"
    /// Gauge `{event_type}`: entries in the cold index of that type.
    public static let rejectedColdIndexCurrent = "ngit_sync_rejected_cold_index_current"
    /// Counter `{event_type}`: hot events handed out for re-processing by an invalidation.
    public static let rejectedHotCacheHits = "ngit_sync_rejected_hot_cache_hits_total"
    /// Counter `{event_type}`: invalidations that found no fresh hot event.
    public static let rejectedHotCacheMisses = "ngit_sync_rejected_hot_cache_misses_total"
    /// Counter `{event_type}`: hot entries dropped by cleanup after their TTL.
    public static let rejectedHotCacheExpired = "ngit_sync_rejected_hot_cache_expired_total"
    /// Counter `{event_type}`: cold entries dropped by cleanup after their TTL.
    public static let rejectedColdIndexExpired = "ngit_sync_rejected_cold_index_expired_total"
    /// Counter `{event_type}`: cold entries removed by invalidation.
    public static let rejectedInvalidated = "ngit_sync_rejected_invalidated_total"

    // MARK: Deferred-events index (ours)

    /// Gauge, no labels: events held until the repository or event they reference arrives.
    public static let deferredEvents = "grasp_deferred_events"
    /// Gauge, no labels: bytes of event JSON the deferred-events index holds.
    public static let deferredBytes = "grasp_deferred_bytes"
    /// Counter `{outcome}`: deferred events by outcome (`added`, `reprocessed`, `accepted`,
    /// `evicted_count`, `evicted_bytes`, `expired`).
    public static let deferredEventsTotal = "grasp_deferred_events_total"

    // MARK: Served relay (ours)

    /// Gauge, no labels: open client WebSocket connections.
    public static let servedConnectionsOpen = "grasp_relay_connections_open"
    /// Counter `{verb}`: client messages received, by verb (`EVENT`, `REQ`, …, `INVALID`).
    public static let servedMessagesReceived = "grasp_relay_messages_received_total"
    /// Counter `{kind}`: client events stored, by event kind.
    public static let servedEventsStored = "grasp_relay_events_stored_total"
    /// Counter `{prefix}`: client events refused, by NIP-01 machine-readable prefix.
    public static let servedEventsRefused = "grasp_relay_events_refused_total"
    /// Counter `{scope}`: client events refused by a write budget before being processed,
    /// by budget (`connection`, `ip`); they also count in `grasp_relay_events_refused_total`.
    public static let servedEventsRateLimited = "grasp_relay_events_rate_limited_total"
    /// Counter `{reason}`: WebSocket upgrades refused with 503 by a connection cap, by cap
    /// (`per_ip`, `total`).
    public static let servedConnectionsRefused = "grasp_relay_connections_refused_total"
    /// Gauge, no labels: open NIP-77 negentropy sessions.
    public static let servedNegentropySessionsOpen = "grasp_relay_negentropy_sessions_open"
    /// Counter, no labels: NIP-77 negentropy sessions opened since start.
    public static let servedNegentropySessionsOpened = "grasp_relay_negentropy_sessions_opened_total"

    /// Every name above, in documentation order.
    public static let all: [String] = [
        relayConnected, connectionAttempts, relayStatus, relayFailures, eventsSynced,
        relaysTracked, relaysConnected, relaysDead, naughtyRelays, naughtyRelayInfo,
        rejectedHotCacheCurrent, rejectedColdIndexCurrent, rejectedHotCacheHits,
        rejectedHotCacheMisses, rejectedHotCacheExpired, rejectedColdIndexExpired,
        rejectedInvalidated,
        deferredEvents, deferredBytes, deferredEventsTotal,
        servedConnectionsOpen, servedMessagesReceived, servedEventsStored, servedEventsRefused,
        servedEventsRateLimited, servedConnectionsRefused,
        servedNegentropySessionsOpen, servedNegentropySessionsOpened,
    ]
}
