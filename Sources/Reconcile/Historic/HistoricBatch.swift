import Nostr

/// One historic batch as the scheduler hands it to a relay's reconciler: its filters,
/// built for the relay's request limits, and how to run them.
public struct HistoricBatch: Sendable, Equatable {
    /// The pending batch's id (its outcome confirms it).
    public var id: Int
    /// The connection the batch was started on; a later connection aborts it.
    public var generation: Int
    /// The filters, synced side by side when NIP-77 is used, one at a time otherwise (built
    /// as they are read: chunks of a shared value list).
    public var filters: FilterList
    /// Whether the filters were built for NIP-77 (bigger value lists per filter).
    public var negentropy: Bool
    /// Set for a batch covering every item of a GRASP server: first reconciled in one
    /// relay-wide session (`{}` with `since`) against the union of these local filters;
    /// only if that fails are the item filters synced.
    public var relayWide: RelayWideScope?

    /// The local side of a relay-wide reconciliation.
    public struct RelayWideScope: Sendable, Equatable {
        public var since: Int64?
        public var localFilters: FilterList

        public init(since: Int64?, localFilters: FilterList) {
            self.since = since
            self.localFilters = localFilters
        }
    }

    public init(id: Int, generation: Int, filters: FilterList, negentropy: Bool, relayWide: RelayWideScope? = nil) {
        self.id = id
        self.generation = generation
        self.filters = filters
        self.negentropy = negentropy
        self.relayWide = relayWide
    }
}
