import Nostr

/// One action of the three-way diff: what is new for a relay (desired − pending − confirmed,
/// level-aware).
///
/// The caller registers a pending batch with exactly these ``repos`` and ``rootEvents``,
/// then opens the live subscriptions and runs the historic sync of ``filters(since:live:)``.
public struct AddFilters: Sendable, Equatable {
    /// The relay to send the filters to.
    public let relay: RelayURL
    /// New repos, at the level they are needed (a `.stateOnly` -> `.full` upgrade appears at `.full`).
    public var repos: [RepoRef: SyncLevel]
    /// New root events.
    public var rootEvents: Set<String>

    public init(relay: RelayURL, repos: [RepoRef: SyncLevel] = [:], rootEvents: Set<String> = []) {
        self.relay = relay
        self.repos = repos
        self.rootEvents = rootEvents
    }

    /// Whether there is nothing to add.
    public var isEmpty: Bool { repos.isEmpty && rootEvents.isEmpty }

    /// The items as needs (for ``PendingSyncIndex/add(relay:repos:rootEvents:)`` bookkeeping).
    public var needs: RelaySyncNeeds { RelaySyncNeeds(repos: repos, rootEvents: rootEvents) }

    /// The level-aware filters for these items (``SyncFilterBuilder/filters(repos:rootEvents:since:live:)``).
    public func filters(since: Int64? = nil, live: Bool) -> [Filter] {
        SyncFilterBuilder.filters(repos: repos, rootEvents: rootEvents, since: since, live: live)
    }
}
