import Nostr

/// Builds the sync filters (decisions: Filter layers).
///
/// | Builder | Filters | Per |
/// |---|---|---|
/// | ``layer1(since:live:)`` | `{kinds:[30617,10317]}` | one |
/// | ``state(repos:since:live:)`` | `{kinds:[30618], #d:[…]}` | 100 distinct identifiers |
/// | ``layer2(repos:since:live:)`` | `{#a:[…]}`, `{#A:[…]}`, `{#q:[…]}` (values `30617:<pk>:<d>`) | 100 repos |
/// | ``layer3(rootEvents:since:live:)`` | `{#e:[…]}`, `{#E:[…]}`, `{#q:[…]}` | 100 root event ids |
///
/// `live` adds `limit: 0` (a subscription that only streams new events); historic filters
/// carry no limit. `since`, when given, is set on every filter. Values are deduplicated and
/// sorted, so equal inputs give identical filters. A chunk also stays within `limits` (bytes
/// of values as the relay counts them, message size), so long identifiers cannot push a
/// 100-value filter past what strfry accepts.
public enum SyncFilterBuilder {
    /// Values per filter for state (`#d`), Layer 2 and Layer 3 filters.
    public static let chunkSize = 100

    /// Layer 1: announcements and user GRASP lists, `{kinds:[30617,10317]}`.
    public static func layer1(since: Int64?, live: Bool) -> [Filter] {
        [Filter(kinds: [NIP34.repoAnnouncement, NIP34.userGraspList], since: since, limit: limit(live))]
    }

    /// State filters for `repos` (any level): `{kinds:[30618], #d:[identifiers]}`, identifiers
    /// deduplicated across owners and sorted, 100 per filter. No repos, no filter.
    public static func state(repos: [RepoRef], since: Int64?, live: Bool, limits: RequestLimits = RequestLimits()) -> [Filter] {
        limits.chunks(repos.map(\.identifier), field: "d", maxValues: chunkSize).map {
            Filter(kinds: [NIP34.repoState], tags: ["d": $0], since: since, limit: limit(live))
        }
    }

    /// Layer 2 for `repos`: per chunk of 100 refs (deduplicated, sorted), the three filters
    /// `#a`, `#A`, `#q` with the coordinates; no kinds restriction.
    public static func layer2(repos: [RepoRef], since: Int64?, live: Bool, limits: RequestLimits = RequestLimits()) -> [Filter] {
        tagFilters(values: repos.map(\.description), names: ["a", "A", "q"], since: since, live: live, limits: limits)
    }

    /// Layer 3 for root event ids: per chunk of 100 ids (deduplicated, sorted), the three
    /// filters `#e`, `#E`, `#q`; no kinds restriction.
    public static func layer3(rootEvents: [String], since: Int64?, live: Bool, limits: RequestLimits = RequestLimits()) -> [Filter] {
        tagFilters(values: rootEvents, names: ["e", "E", "q"], since: since, live: live, limits: limits)
    }

    /// The level-aware composition: state filters for every repo, Layer 2 only for `.full`
    /// repos, Layer 3 for `rootEvents`; in that order (decisions: Filter layers, Sync level per
    /// item).
    public static func filters(repos: [RepoRef: SyncLevel], rootEvents: Set<String>, since: Int64?, live: Bool,
                               limits: RequestLimits = RequestLimits()) -> [Filter] {
        let fullRepos = repos.filter { $0.value == .full }.map(\.key)
        return state(repos: Array(repos.keys), since: since, live: live, limits: limits)
            + layer2(repos: fullRepos, since: since, live: live, limits: limits)
            + layer3(rootEvents: Array(rootEvents), since: since, live: live, limits: limits)
    }

    // MARK: - Helpers

    static func limit(_ live: Bool) -> Int? { live ? 0 : nil }

    /// For each chunk of `values` (at most ``chunkSize`` values, within `limits`), one filter
    /// per tag name (chunked once, by the strictest count: a name whose values count their
    /// full UTF-8 length rather than 32 decoded bytes).
    static func tagFilters(values: [String], names: [String], since: Int64?, live: Bool, limits: RequestLimits) -> [Filter] {
        let strictest = names.first { !["e", "p"].contains($0) } ?? names.first ?? "a"
        return limits.chunks(values, field: strictest, maxValues: chunkSize).flatMap { chunk in
            names.map { Filter(tags: [$0: chunk], since: since, limit: limit(live)) }
        }
    }
}
