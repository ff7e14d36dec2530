import Health
import Nostr

/// The state of one tracked remote relay at one tick: everything the per-relay metrics and
/// the `/status` document show for it.
///
/// The coordinator builds one per tracked relay from its indexes and the health tracker,
/// and hands them to ``NodeMetrics/apply(_:)`` inside a ``SyncMetricsSnapshot``.
public struct RelayMetricsSnapshot: Sendable, Equatable {
    /// The normalised relay URL (the `relay` label is its `description`).
    public var url: RelayURL
    /// The connection status (`ngit_sync_relay_connected`).
    public var connectionStatus: RelayConnectionStatus
    /// The derived health (`ngit_sync_relay_status`).
    public var health: RelayHealthStatus
    /// Consecutive failures not yet forgiven (`ngit_sync_relay_failures`).
    public var consecutiveFailures: Int
    /// When the next connection attempt is allowed (Unix seconds), `nil` if allowed now.
    public var nextRetryAt: Double?
    /// Repositories whose sync the relay has confirmed.
    public var confirmedRepos: Int
    /// Root events whose sync the relay has confirmed.
    public var confirmedRootEvents: Int
    /// Historic batches in flight on the relay.
    public var pendingBatches: Int
    /// The text of the most recent failure, if any.
    public var lastError: String?
    /// How historic batches are synced with the relay (nil until it is known).
    public var syncMode: RelaySyncMode? = nil

    /// Creates a relay snapshot.
    public init(
        url: RelayURL,
        connectionStatus: RelayConnectionStatus,
        health: RelayHealthStatus,
        consecutiveFailures: Int = 0,
        nextRetryAt: Double? = nil,
        confirmedRepos: Int = 0,
        confirmedRootEvents: Int = 0,
        pendingBatches: Int = 0,
        lastError: String? = nil
    ) {
        self.url = url
        self.connectionStatus = connectionStatus
        self.health = health
        self.consecutiveFailures = consecutiveFailures
        self.nextRetryAt = nextRetryAt
        self.confirmedRepos = confirmedRepos
        self.confirmedRootEvents = confirmedRootEvents
        self.pendingBatches = pendingBatches
        self.lastError = lastError
    }

    /// Creates a relay snapshot whose health fields (status, failures, next retry, last
    /// error) come from the health tracker's ``Health/RelayHealthSnapshot``.
    public init(
        url: RelayURL,
        connectionStatus: RelayConnectionStatus,
        health: RelayHealthSnapshot,
        confirmedRepos: Int = 0,
        confirmedRootEvents: Int = 0,
        pendingBatches: Int = 0
    ) {
        self.init(
            url: url,
            connectionStatus: connectionStatus,
            health: health.status,
            consecutiveFailures: health.consecutiveFailures,
            nextRetryAt: health.nextAttemptAt,
            confirmedRepos: confirmedRepos,
            confirmedRootEvents: confirmedRootEvents,
            pendingBatches: pendingBatches,
            lastError: health.lastError
        )
    }
}
