import Nostr

/// Builds the sync filters (reference §5).
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
/// sorted, so equal inputs give identical filters.
public enum SyncFilterBuilder {
    /// Values per filter for state (`#d`), Layer 2 and Layer 3 filters.
    public static let chunkSize = 100

    /// Layer 1: announcements and user GRASP lists, `{kinds:[30617,10317]}`.
    public static func layer1(since: Int64?, live: Bool) -> [Filter] {
        [Filter(kinds: [NIP34.repoAnnouncement, NIP34.userGraspList], since: since, limit: limit(live))]
    }

    /// State filters for `repos` (any level): `{kinds:[30618], #d:[identifiers]}`, identifiers
    /// deduplicated across owners and sorted, 100 per filter. No repos, no filter.
    public static func state(repos: [RepoRef], since: Int64?, live: Bool) -> [Filter] {
        let identifiers = Set(repos.map(\.identifier)).sorted()
        return chunks(identifiers).map {
            Filter(kinds: [NIP34.repoState], tags: ["d": $0], since: since, limit: limit(live))
        }
    }

    /// Layer 2 for `repos`: per chunk of 100 refs (deduplicated, sorted), the three filters
    /// `#a`, `#A`, `#q` with the coordinates; no kinds restriction.
    public static func layer2(repos: [RepoRef], since: Int64?, live: Bool) -> [Filter] {
        tagFilters(values: Set(repos).sorted().map(\.description), names: ["a", "A", "q"], since: since, live: live)
    }

    /// Layer 3 for root event ids: per chunk of 100 ids (deduplicated, sorted), the three
    /// filters `#e`, `#E`, `#q`; no kinds restriction.
    public static func layer3(rootEvents: [String], since: Int64?, live: Bool) -> [Filter] {
        tagFilters(values: Set(rootEvents).sorted(), names: ["e", "E", "q"], since: since, live: live)
    }

    /// The level-aware composition (reference §5.5, W17): state filters for every repo,
    /// Layer 2 only for `.full` repos, Layer 3 for `rootEvents`; in that order.
    public static func filters(repos: [RepoRef: SyncLevel], rootEvents: Set<String>, since: Int64?, live: Bool) -> [Filter] {
        let fullRepos = repos.filter { $0.value == .full }.map(\.key)
        return state(repos: Array(repos.keys), since: since, live: live)
            + layer2(repos: fullRepos, since: since, live: live)
            + layer3(rootEvents: Array(rootEvents), since: since, live: live)
    }

    // MARK: - Helpers

    static func limit(_ live: Bool) -> Int? { live ? 0 : nil }

    /// `values` split into runs of ``chunkSize``.
    static func chunks(_ values: [String]) -> [[String]] {
        stride(from: 0, to: values.count, by: chunkSize).map { Array(values[$0..<min($0 + chunkSize, values.count)]) }
    }

    /// For each chunk of `values`, one filter per tag name.
    static func tagFilters(values: [String], names: [String], since: Int64?, live: Bool) -> [Filter] {
        chunks(values).flatMap { chunk in
            names.map { Filter(tags: [$0: chunk], since: since, limit: limit(live)) }
        }
    }
}
