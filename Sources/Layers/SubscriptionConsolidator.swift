import Nostr

/// Subscription consolidation (reference §5.7, §4.5; W4/W5/W17).
///
/// Every AddFilters opens live subscriptions; a relay accumulates them. When
/// `current + new > threshold` the caller replaces the relay's live subscriptions with
/// ``consolidate(repos:rootEvents:since:)`` (open the new ones first, then close the old ones;
/// never wait for pending batches, W5).
///
/// The consolidated set is the minimal live set covering everything the relay needs:
/// - Layer 1: `{kinds:[30617,10317]}`;
/// - state: `{kinds:[30618], #d:[…]}` per 100 distinct identifiers (all repos);
/// - `{#a:[…]}`, `{#A:[…]}` per 100 `.full` repo coordinates (Layer 2);
/// - `{#e:[…]}`, `{#E:[…]}` per 100 root event ids (Layer 3);
/// - `{#q:[…]}` per 100 values of the **merged** Layer-2 coordinates and Layer-3 ids: a `#q`
///   filter matches on either kind of value, so one list serves both layers.
///
/// Unlike the reference's rebuild (W17), `.stateOnly` repos get no Layer-2 subscriptions.
/// So the count is `1 + ⌈I/100⌉ + 2⌈F/100⌉ + 2⌈E/100⌉ + ⌈(F+E)/100⌉` for `I` distinct
/// identifiers, `F` full repos and `E` root events. Every filter is live (`limit: 0`) and
/// carries `since` when given (for the Layer-1 filter this bounds a parallel historic
/// catch-up the caller may run with the same filter minus the limit; reference uses
/// `now − 900 s`).
public enum SubscriptionConsolidator {
    /// Live subscriptions per relay above which the relay is consolidated (`current + new > 70`).
    public static let threshold = 70

    /// Whether adding `adding` subscriptions to `current` ones crosses ``threshold``.
    public static func needsConsolidation(current: Int, adding: Int) -> Bool { current + adding > threshold }

    /// The minimal live filter set for everything a relay needs (see the type's discussion),
    /// deterministic: Layer 1, state, `#a`, `#A`, `#e`, `#E`, `#q`.
    public static func consolidate(repos: [RepoRef: SyncLevel], rootEvents: Set<String>, since: Int64?) -> [Filter] {
        let coordinates = repos.filter { $0.value == .full }.map(\.key).sorted().map(\.description)
        let ids = rootEvents.sorted()
        let quoted = Array(Set(coordinates).union(ids)).sorted()
        return SyncFilterBuilder.layer1(since: since, live: true)
            + SyncFilterBuilder.state(repos: Array(repos.keys), since: since, live: true)
            + SyncFilterBuilder.tagFilters(values: coordinates, names: ["a", "A"], since: since, live: true)
            + SyncFilterBuilder.tagFilters(values: ids, names: ["e", "E"], since: since, live: true)
            + SyncFilterBuilder.tagFilters(values: quoted, names: ["q"], since: since, live: true)
    }

    /// The number of filters ``consolidate(repos:rootEvents:since:)`` returns for `needs`.
    public static func subscriptionCount(for needs: RelaySyncNeeds) -> Int {
        func chunks(_ n: Int) -> Int { (n + SyncFilterBuilder.chunkSize - 1) / SyncFilterBuilder.chunkSize }
        let identifiers = Set(needs.repos.keys.map(\.identifier)).count
        let full = needs.repos.values.filter { $0 == .full }.count
        let events = needs.rootEvents.count
        return 1 + chunks(identifiers) + 2 * chunks(full) + 2 * chunks(events) + chunks(full + events)
    }
}
