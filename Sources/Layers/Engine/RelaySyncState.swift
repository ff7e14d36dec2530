import Health
import Nostr
import Reconcile

/// The coordinator's record of one remote relay.
struct RelaySyncState {
    /// The connection lifecycle (status, generation, connect and disconnect times, the
    /// completion check's settle timer, historic failures, the next daily resync): the
    /// coordinator feeds it inputs and carries out the actions it returns.
    var lifecycle: RelayLifecycleStateMachine
    var isBootstrap: Bool
    /// The relay's connection: one per relay URL for as long as the relay is tracked,
    /// reused by every reconnect.
    let link: any RelayLink
    /// The relay's reconciler: runs its historic batches, owns their slots and fetch
    /// ledger and what the relay taught about NIP-77.
    let reconciler: RelayReconciler
    var session: (any RelayLinkSession)?
    /// The session's live REQs and CLOSEs, in order (with `session`).
    var outbox: RelayOutbox?
    /// The live subscriptions of the current connection (and the relay's learned cap).
    var live: LiveSubscriptionSet
    var lastError: String?
    /// Delivered events the node accepted: keeps its place at the tracked-relay cap.
    var deliveredEvents = false
    /// How big requests to this relay may be: the configured limits, shrunk by the relay's
    /// "too large" refusals (persisted with the sync state).
    var requestLimits: RequestLimits
    /// Whether the relay's NIP-11 document names GRASP specifications (it then serves only
    /// events of the repositories it hosts); nil until fetched (persisted).
    var graspServer: Bool?
    /// When the NIP-11 document was last fetched (refreshed daily).
    var informationFetchedAt: Double?
    /// The next batch covering every item of the relay reconciles the whole relay in one
    /// session (a GRASP server the node synced before: fresh start or daily resync).
    var relayWideNext = false
    /// When the relay may be tried again and until when it is rate-limited, as the health
    /// tracker's actions said (the engine does not poll the tracker).
    var gates = RelayHealthGates()

    init(isBootstrap: Bool, link: any RelayLink, reconciler: RelayReconciler,
         requestLimits: RequestLimits = RequestLimits(), liveLimits: LiveSubscriptionSet.Limits = LiveSubscriptionSet.Limits(),
         lifecycle: RelayLifecycleConfiguration = RelayLifecycleConfiguration()) {
        self.live = LiveSubscriptionSet(limits: liveLimits)
        self.lifecycle = RelayLifecycleStateMachine(configuration: lifecycle)
        self.isBootstrap = isBootstrap
        self.requestLimits = requestLimits
        self.link = link
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
        live.clear()
    }
}
