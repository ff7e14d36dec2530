import Health
import Nostr
import Reconcile
import Transport

/// The coordinator's record of one remote relay.
struct RelaySyncState {
    /// The connection lifecycle (status, generation, connect and disconnect times, the
    /// completion check's settle timer, historic failures, the next daily resync): the
    /// coordinator feeds it inputs and carries out the actions it returns.
    var lifecycle: RelayLifecycleStateMachine
    var isBootstrap: Bool
    /// The relay's connection actor: one per relay URL for as long as the relay is
    /// tracked, reused by every reconnect.
    let connection: RemoteRelayConnection
    /// The relay's reconciler: runs its historic batches, owns their slots and fetch
    /// ledger and what the relay taught about NIP-77.
    let reconciler: RelayReconciler
    var session: (any RelaySession)?
    var lastEventAt: Double?
    /// Live subscriptions by id (one filter each, or several once consolidated).
    var liveSubscriptions: [String: [Filter]] = [:]
    /// Whether the live set is consolidated: filters packed several per REQ and Layer 3
    /// replaced by one relay-wide filter (until the next fresh start or reconnect).
    var liveConsolidated = false
    /// Whether the consolidated set streams Layer 3 by kind (root-id filters would have
    /// needed more than `maxLiveSubscriptions` REQs).
    var liveLayer3Approximate = false
    /// Live filters the relay ended with CLOSED (e.g. `rate-limited:`); reopened when the
    /// relay's rate-limit cooldown ends, dropped on reconnect (which reopens everything).
    var refusedLiveFilters: [Filter] = []
    /// Whether the generic layer-1 batch has completed since the last fresh start.
    var announcementsSynced = false
    var lastError: String?
    /// Delivered events the node accepted: keeps its place at the tracked-relay cap.
    var deliveredEvents = false
    /// How big requests to this relay may be: the configured limits, shrunk by the relay's
    /// "too large" refusals (persisted with the sync state).
    var requestLimits: RequestLimits
    /// Whether the relay's NIP-11 document names GRASP specifications (it then serves only
    /// events of the repositories it hosts); nil until fetched (persisted).
    var graspServer: Bool?
    /// Subscriptions the relay holds open for one connection at most, learned from its
    /// "too many subscriptions" refusals (the number it names, or what was open then).
    var subscriptionCap: Int?
    /// When the NIP-11 document was last fetched (refreshed daily).
    var informationFetchedAt: Double?
    /// The next batch covering every item of the relay reconciles the whole relay in one
    /// session (a GRASP server the node synced before: fresh start or daily resync).
    var relayWideNext = false

    init(isBootstrap: Bool, connection: RemoteRelayConnection, reconciler: RelayReconciler,
         requestLimits: RequestLimits = RequestLimits(), lifecycle: RelayLifecycleConfiguration = RelayLifecycleConfiguration()) {
        self.lifecycle = RelayLifecycleStateMachine(configuration: lifecycle)
        self.isBootstrap = isBootstrap
        self.requestLimits = requestLimits
        self.connection = connection
        self.reconciler = reconciler
    }

    /// The connection status (the lifecycle's).
    var status: RelayConnectionStatus { lifecycle.status }

    /// The current connection's generation: late messages of older ones are ignored.
    var generation: Int { lifecycle.generation }

    /// When the latest connection was established.
    var connectedAt: Double? { lifecycle.connectedAt }

    /// When the latest connection ended; set only to restore the last-seen time saved by an
    /// earlier run (before the first attempt).
    var disconnectedAt: Double? {
        get { lifecycle.disconnectedAt }
        set { lifecycle.restore(lastSeen: newValue) }
    }

    /// When the next daily resync is due.
    var nextDailyResync: Double? { lifecycle.nextDailyResync }

    /// Forgets the live side of the connection: its subscriptions (and whether they were
    /// consolidated) and the filters the relay refused on it.
    mutating func resetLiveState() {
        liveSubscriptions = [:]
        liveConsolidated = false
        liveLayer3Approximate = false
        refusedLiveFilters = []
    }
}
