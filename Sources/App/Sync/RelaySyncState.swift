import Health
import Nostr
import Transport

/// The coordinator's record of one remote relay.
struct RelaySyncState {
    var status: RelayConnectionStatus = .disconnected
    var isBootstrap: Bool
    /// Increments on every new connection, so late messages from an old one are ignored.
    var generation = 0
    var session: (any RelaySession)?
    var connectedAt: Double?
    var disconnectedAt: Double?
    var lastEventAt: Double?
    var historicFailures = false
    var negentropy: NegentropySupport = .unknown
    /// When the relay last had no pending batch while syncing (completion check).
    var quietSince: Double?
    var nextDailyResync: Double?
    /// Live subscriptions by id.
    var liveSubscriptions: [String: Filter] = [:]
    /// Live filters the relay ended with CLOSED (e.g. `rate-limited:`); reopened when the
    /// relay's rate-limit cooldown ends, dropped on reconnect (which reopens everything).
    var refusedLiveFilters: [Filter] = []
    /// Whether the generic layer-1 batch has completed since the last fresh start.
    var announcementsSynced = false
    var lastError: String?

    init(isBootstrap: Bool) {
        self.isBootstrap = isBootstrap
    }
}
