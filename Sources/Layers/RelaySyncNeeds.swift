import Nostr

/// What one relay must sync: repositories (with the level each needs) and root events.
///
/// Used for desired targets (``deriveRelayTargets(_:)``), for what is in flight
/// (each ``PendingBatch``) and for what is confirmed
/// (``ConfirmedSyncIndex/needs(for:)``). Coverage is level-aware: a repo held at `.full`
/// covers a `.stateOnly` need, a repo held at `.stateOnly` does not cover a `.full` need
/// (decisions: Sync level per item).
public struct RelaySyncNeeds: Sendable, Equatable {
    /// Repositories and the level each needs.
    public var repos: [RepoRef: SyncLevel]
    /// Root event ids (Layer 3).
    public var rootEvents: Set<String>

    public init(repos: [RepoRef: SyncLevel] = [:], rootEvents: Set<String> = []) {
        self.repos = repos
        self.rootEvents = rootEvents
    }

    /// Whether there is nothing to sync.
    public var isEmpty: Bool { repos.isEmpty && rootEvents.isEmpty }

    /// Repos needed at `.full`, sorted.
    public var fullRepos: [RepoRef] { repos.filter { $0.value == .full }.map(\.key).sorted() }

    /// Repos needed at `.stateOnly`, sorted.
    public var stateOnlyRepos: [RepoRef] { repos.filter { $0.value == .stateOnly }.map(\.key).sorted() }

    /// Adds a repo, keeping the higher level when it is already present.
    public mutating func insert(_ ref: RepoRef, level: SyncLevel) {
        if let current = repos[ref], current >= level { return }
        repos[ref] = level
    }

    /// Merges `other` in: union of root events, repos at the higher of the two levels.
    public mutating func formUnion(_ other: RelaySyncNeeds) {
        for (ref, level) in other.repos { insert(ref, level: level) }
        rootEvents.formUnion(other.rootEvents)
    }

    /// The union of `self` and `other` (see ``formUnion(_:)``).
    public func union(_ other: RelaySyncNeeds) -> RelaySyncNeeds {
        var out = self
        out.formUnion(other)
        return out
    }

    /// What `covered` does not already cover: repos absent from `covered` or held there at a
    /// lower level (kept at the level needed here), and root events not in `covered`.
    public func subtracting(_ covered: RelaySyncNeeds) -> RelaySyncNeeds {
        RelaySyncNeeds(
            repos: repos.filter { ref, level in (covered.repos[ref].map { $0 < level }) ?? true },
            rootEvents: rootEvents.subtracting(covered.rootEvents))
    }

    /// What neither `covered` nor any of `more` covers: the same as subtracting their union
    /// (a repo counts as covered at the highest level any of them holds), without building it.
    public func subtracting(_ covered: RelaySyncNeeds, _ more: [RelaySyncNeeds]) -> RelaySyncNeeds {
        if more.isEmpty { return subtracting(covered) }
        let sources = [covered] + more
        return RelaySyncNeeds(
            repos: repos.filter { ref, level in
                !sources.contains { source in source.repos[ref].map { $0 >= level } ?? false }
            },
            rootEvents: rootEvents.filter { id in !sources.contains { $0.rootEvents.contains(id) } })
    }

    /// Whether `covered` covers everything here.
    public func isCovered(by covered: RelaySyncNeeds) -> Bool { subtracting(covered).isEmpty }
}
