import Nostr

/// One in-flight historic batch on a relay (decisions: Three indexes and one diff).
///
/// Records what the batch covers, so that it is confirmed as a whole on completion and is
/// never re-requested while in flight (decisions: Diff on every path). A batch with no repos
/// and no root events is a
/// Layer-1 ("generic") batch. Transport-level bookkeeping (subscription ids, pagination,
/// requested ids) belongs to the session that runs the batch, not here.
public struct PendingBatch: Sendable, Equatable, Identifiable {
    /// Monotonic id, unique across relays (assigned by ``PendingSyncIndex``).
    public let id: Int
    /// The relay the batch runs on.
    public let relay: RelayURL
    /// Repos the batch covers, with the level it syncs them at.
    public var repos: [RepoRef: SyncLevel]
    /// Root events the batch covers.
    public var rootEvents: Set<String>
    /// Whether the batch completed (or will complete) with known missing data.
    public var failed: Bool

    public init(id: Int, relay: RelayURL, repos: [RepoRef: SyncLevel] = [:], rootEvents: Set<String> = [], failed: Bool = false) {
        self.id = id
        self.relay = relay
        self.repos = repos
        self.rootEvents = rootEvents
        self.failed = failed
    }

    /// Whether this is a Layer-1 batch (covers no repo and no root event).
    public var isGeneric: Bool { repos.isEmpty && rootEvents.isEmpty }

    /// What the batch covers.
    public var needs: RelaySyncNeeds { RelaySyncNeeds(repos: repos, rootEvents: rootEvents) }
}
