import Health
import Nostr

/// Something that happened in the node that a metric counts or shows.
///
/// The other stages never touch the Prometheus registry (docs/architecture.md): they send these
/// through an `AsyncStream<NodeEvent>` consumed by ``NodeMetrics/run(events:)``, or hand
/// them to ``NodeMetrics/record(_:)`` directly.
///
/// Counters move only on events. State-derived gauges are set by ``snapshot(_:)`` (or
/// ``NodeMetrics/apply(_:)``) on every tick; the status-change events below only make a
/// transition visible before the next tick, which overwrites them.
public enum NodeEvent: Sendable, Equatable {
    // MARK: Sync

    /// A connection attempt to `relay` finished: `ngit_sync_connection_attempts_total`.
    case connectionAttempt(RelayURL, result: ConnectionAttemptResult)
    /// The sync pipeline newly saved `count` events received from `relay`:
    /// `ngit_sync_events_synced_total` (unlabelled, as in the reference). Duplicates,
    /// purgatory, rejections and hot-cache re-processing are not counted.
    case eventsSynced(RelayURL, count: Int)
    /// `relay` changed connection status; sets `ngit_sync_relay_connected` now.
    case connectionStatusChanged(RelayURL, RelayConnectionStatus)
    /// `relay` changed health; sets `ngit_sync_relay_status` now.
    case healthStatusChanged(RelayURL, RelayHealthStatus)
    /// `relay` is no longer tracked; its series are removed now rather than at the next tick.
    case relayRemoved(RelayURL)
    /// A tick's state snapshot, ordered with the other events; same as
    /// ``NodeMetrics/apply(_:)``.
    case snapshot(SyncMetricsSnapshot)
    /// The health tracker's naughty list changed; updates `ngit_sync_naughty_relays_total`
    /// and `ngit_sync_naughty_relay_info` now (the next snapshot rebuilds them from state).
    case naughtyListChanged(NaughtyListChange)

    // MARK: Rejected-events index

    /// An invalidation handed out `count` fresh hot events of `type` for re-processing.
    case rejectedHotCacheHits(RejectedIndexEventType, count: Int)
    /// An invalidation for `type` found no fresh hot event.
    case rejectedHotCacheMiss(RejectedIndexEventType)
    /// Cleanup dropped `count` expired entries of `type` from `tier`.
    case rejectedEntriesExpired(RejectedIndexTier, RejectedIndexEventType, count: Int)
    /// An invalidation removed `count` cold entries of `type`.
    case rejectedEntriesInvalidated(RejectedIndexEventType, count: Int)

    // MARK: Served relay

    /// A client WebSocket connection was opened.
    case servedConnectionOpened
    /// A client WebSocket connection was closed.
    case servedConnectionClosed
    /// A client message with `verb` (`EVENT`, `REQ`, `NEG-OPEN`, …, `INVALID`) was received.
    case servedMessageReceived(verb: String)
    /// A client event of `kind` was stored.
    case servedEventStored(kind: Int)
    /// A client event was refused with a NIP-01 machine-readable `prefix` (`blocked`, …).
    case servedEventRefused(prefix: String)
    /// A client opened a NIP-77 negentropy session.
    case servedNegentropySessionOpened
    /// A NIP-77 negentropy session ended (closed, replaced, timed out or disconnected).
    case servedNegentropySessionClosed
    /// A client event was refused by the `scope` write budget (`connection`, `ip`).
    case servedEventRateLimited(scope: String)
    /// A client's WebSocket upgrade was refused by the `reason` connection cap (`per_ip`, `total`).
    case servedConnectionRefused(reason: String)
}
