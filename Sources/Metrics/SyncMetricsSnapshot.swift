import Health

/// Everything the state-derived metrics show, read from the node's state at one tick.
///
/// ``NodeMetrics/apply(_:)`` sets every gauge from a snapshot, so no gauge can go stale
/// (decisions: Gauges derived from state): relays absent from ``relays`` lose their series, the totals are
/// recomputed from ``relays``, and the naughty-list and rejected-index gauges are rebuilt.
/// The same snapshot also builds the `/status` document (``RelayStatusDocument``).
public struct SyncMetricsSnapshot: Sendable, Equatable {
    /// One entry per tracked relay. Should a URL appear twice, the last entry wins.
    public var relays: [RelayMetricsSnapshot]
    /// The relays currently on the naughty list.
    public var naughtyRelays: [NaughtyRelayMetric]
    /// The rejected-events index sizes per tier and type.
    public var rejectedIndex: RejectedIndexSizes
    /// The deferred-events index size and counts.
    public var deferredIndex: DeferredIndexFigures

    /// Creates a snapshot.
    public init(
        relays: [RelayMetricsSnapshot] = [],
        naughtyRelays: [NaughtyRelayMetric] = [],
        rejectedIndex: RejectedIndexSizes = .empty,
        deferredIndex: DeferredIndexFigures = .empty
    ) {
        self.relays = relays
        self.naughtyRelays = naughtyRelays
        self.rejectedIndex = rejectedIndex
        self.deferredIndex = deferredIndex
    }

    /// ``relays`` with duplicate URLs collapsed (last entry wins), sorted by URL.
    public var distinctRelays: [RelayMetricsSnapshot] {
        var byURL: [String: RelayMetricsSnapshot] = [:]
        for relay in relays { byURL[relay.url.description] = relay }
        return byURL.values.sorted { $0.url < $1.url }
    }

    /// `ngit_sync_relays_tracked_total`: the number of distinct tracked relays.
    public var trackedTotal: Int { distinctRelays.count }

    /// `ngit_sync_relays_connected_total`: relays whose WebSocket is open and live sync is
    /// active (status syncing, connected or connected_historic_sync_failures).
    public var connectedTotal: Int { distinctRelays.count { $0.connectionStatus.isConnected } }

    /// `ngit_sync_relays_dead_total`: relays whose health is dead.
    public var deadTotal: Int { distinctRelays.count { $0.health == .dead } }

    /// Naughty relays per category; every category is present (0 when none).
    public var naughtyCounts: [MisconfigurationCategory: Int] {
        var counts = Dictionary(uniqueKeysWithValues: MisconfigurationCategory.allCases.map { ($0, 0) })
        for entry in naughtyRelays { counts[entry.category, default: 0] += 1 }
        return counts
    }
}
