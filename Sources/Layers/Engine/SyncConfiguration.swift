import Nostr
import Reconcile

/// Settings of the GRASP-02 sync engine: the reference's constants as defaults, with the
/// operator options (decisions: Reference constants as defaults).
public struct SyncConfiguration: Sendable {
    /// Relays to sync from at start-up whether or not any announcement lists them.
    public var bootstrapRelays: [RelayURL]
    /// This node's own URLs: never dialled.
    public var ownURLs: Set<RelayURL>
    /// Self-subscriber batch window in seconds (default 5).
    public var batchWindow: Double
    /// Health backoff base and cap in seconds.
    public var baseBackoff: Double
    public var maxBackoff: Double
    /// Never try NIP-77; always REQ/EOSE.
    public var disableNegentropy: Bool
    /// Reconnects within this many seconds of a disconnect catch up with `since` (900).
    public var quickReconnectWindow: Double
    /// `since` margin subtracted from the disconnect time on a quick reconnect.
    public var catchUpMargin: Double
    /// The completion check waits this long with no pending batches (6 s).
    public var settleDelay: Double
    /// Daily resync drawn uniformly in this range of seconds (23-25 h).
    public var dailyResyncRange: ClosedRange<Double>
    /// Ids per `{ids:[...]}` fetch (300).
    public var idFetchChunk: Int
    /// Retries of an id fetch that still misses ids (decisions: Bounded id-fetch retries).
    public var idFetchRetries: Int
    /// `limit` set on historic REQ pages.
    public var pageLimit: Int
    /// Seconds without progress before a historic request or NIP-77 session is given up.
    public var requestTimeout: Double
    /// Live subscriptions per relay above which they are consolidated (70).
    public var consolidationThreshold: Int
    /// Filters per REQ in a consolidated live set (10: within common `max_filters` limits).
    public var consolidatedFiltersPerSubscription: Int
    /// Live REQs the consolidated set may hold open on one relay (150: with the historic
    /// slots, under strfry's 200 subscriptions per connection); past it Layer 3 is streamed
    /// by kind.
    public var maxLiveSubscriptions: Int
    /// Most relays tracked at once (untrusted announcements could list thousands); enforced
    /// on registration and on restore, see `TrackedRelayEviction` for who keeps a place.
    public var maxTrackedRelays: Int
    /// Relays taken from one announcement and from one author's announcements.
    public var announcementRelayLimits = AnnouncementRelayLimits()
    /// Client negentropy frame size limit (60,000: under strfry's 128 KiB frames).
    public var negentropyFrameSizeLimit: Int
    /// NIP-77 sessions run at once against one relay (4: under common per-connection limits).
    public var negentropySessionsPerRelay: Int
    /// Historic REQs (id fetches, pages) open at once on one relay (8).
    public var historicRequestsPerRelay: Int
    /// Id-fetch REQs one historic batch keeps in flight (4), so the relay serves the next
    /// chunk while this node stores the last.
    public var idFetchConcurrency: Int
    /// Filters of one historic batch reconciled side by side over NIP-77 (4, the session
    /// slots per relay; ids found missing by several of them are fetched once, see
    /// `IdFetchLedger`). REQ/EOSE batches always go one filter at a time.
    public var batchFilterConcurrency: Int
    /// How big outgoing requests may be (per relay, shrunk by its "too large" refusals).
    public var requestLimits: RequestLimits

    public init(bootstrapRelays: [RelayURL] = [], ownURLs: Set<RelayURL> = [], batchWindow: Double = 5, baseBackoff: Double = 5,
                maxBackoff: Double = 3600, disableNegentropy: Bool = false, quickReconnectWindow: Double = 900,
                catchUpMargin: Double = 900, settleDelay: Double = 6, dailyResyncRange: ClosedRange<Double> = 82_800...90_000,
                idFetchChunk: Int = 300, idFetchRetries: Int = 2, pageLimit: Int = 500, requestTimeout: Double = 60,
                consolidationThreshold: Int = 70, consolidatedFiltersPerSubscription: Int = 10, maxTrackedRelays: Int = 1_000,
                negentropyFrameSizeLimit: Int = 60_000, negentropySessionsPerRelay: Int = 4,
                historicRequestsPerRelay: Int = 8, idFetchConcurrency: Int = 4,
                batchFilterConcurrency: Int = 4, requestLimits: RequestLimits = RequestLimits(),
                maxLiveSubscriptions: Int = 150) {
        self.bootstrapRelays = bootstrapRelays
        self.ownURLs = ownURLs
        self.batchWindow = batchWindow
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
        self.disableNegentropy = disableNegentropy
        self.quickReconnectWindow = quickReconnectWindow
        self.catchUpMargin = catchUpMargin
        self.settleDelay = settleDelay
        self.dailyResyncRange = dailyResyncRange
        self.idFetchChunk = idFetchChunk
        self.idFetchRetries = idFetchRetries
        self.pageLimit = pageLimit
        self.requestTimeout = requestTimeout
        self.consolidationThreshold = consolidationThreshold
        self.consolidatedFiltersPerSubscription = consolidatedFiltersPerSubscription
        self.maxTrackedRelays = maxTrackedRelays
        self.negentropyFrameSizeLimit = negentropyFrameSizeLimit
        self.negentropySessionsPerRelay = negentropySessionsPerRelay
        self.historicRequestsPerRelay = historicRequestsPerRelay
        self.idFetchConcurrency = idFetchConcurrency
        self.batchFilterConcurrency = batchFilterConcurrency
        self.requestLimits = requestLimits
        self.maxLiveSubscriptions = maxLiveSubscriptions
    }

    /// The historic-sync tunables each relay's reconciler runs with.
    public var reconciler: ReconcilerConfiguration {
        ReconcilerConfiguration(
            disableNegentropy: disableNegentropy, requestTimeout: requestTimeout, negentropyFrameSizeLimit: negentropyFrameSizeLimit,
            idFetchChunk: idFetchChunk, idFetchConcurrency: idFetchConcurrency, idFetchRetries: idFetchRetries, pageLimit: pageLimit,
            batchFilterConcurrency: batchFilterConcurrency, negentropySessions: negentropySessionsPerRelay,
            historicRequests: historicRequestsPerRelay)
    }
}
