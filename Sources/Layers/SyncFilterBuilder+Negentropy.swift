import Nostr

extension SyncFilterBuilder {
    /// The historic filters NIP-77 reconciles for `repos` and `rootEvents`: the same items as
    /// ``filters(repos:rootEvents:since:live:limits:)``, but each value list cut only by
    /// `limits` (bytes, as the relay counts them, and message size) instead of 100 values: a
    /// negentropy session costs a round trip whatever its size and has no result paging to
    /// protect, so the biggest filter the relay takes is the cheapest.
    ///
    /// Order: state (`#d`), then `#a`, `#A`, `#q` (coordinates, then root event ids), `#e`,
    /// `#E`; without Layer 2 repos: `#e`, `#E`, `#q`. All of one tag name come before the
    /// next, so overlapping filters (`#e` and `#E` of the same roots) do not run side by side
    /// and the later one finds the earlier one's events stored.
    public static func negentropyFilters(repos: [RepoRef: SyncLevel], rootEvents: Set<String>, since: Int64?,
                                         limits: RequestLimits = RequestLimits()) -> [Filter] {
        let identifiers = repos.keys.map(\.identifier)
        let coordinates = repos.filter { $0.value == .full }.map(\.key.description)
        let roots = Array(rootEvents)
        var out = limits.chunks(identifiers, field: "d").map { Filter(kinds: [NIP34.repoState], tags: ["d": $0], since: since) }
        let names: [(String, [String])] = coordinates.isEmpty
            ? [("e", roots), ("E", roots), ("q", roots)]
            : [("a", coordinates), ("A", coordinates), ("q", coordinates + roots), ("e", roots), ("E", roots)]
        for (name, values) in names {
            out += limits.chunks(values, field: name).map { Filter(tags: [name: $0], since: since) }
        }
        return out
    }
}
