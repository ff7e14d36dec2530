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
    ///
    /// A ``FilterList``: every tag name's filters share one sorted array of the values.
    public static func negentropyFilters(repos: [RepoRef: SyncLevel], rootEvents: Set<String>, since: Int64?,
                                         limits: RequestLimits = RequestLimits()) -> FilterList {
        let identifiers = Array(Set(repos.keys.map(\.identifier))).sorted()
        let coordinates = repos.filter { $0.value == .full }.map(\.key.description).sorted()
        let roots = rootEvents.sorted()
        var out = FilterList()
        out.appendChunks(of: identifiers, tag: "d", template: Filter(kinds: [NIP34.repoState], since: since), limits: limits)
        // Coordinates and event ids never collide, so the merged `#q` list stays repeat-free.
        let names: [(String, [String])] = coordinates.isEmpty
            ? [("e", roots), ("E", roots), ("q", roots)]
            : [("a", coordinates), ("A", coordinates), ("q", (coordinates + roots).sorted()), ("e", roots), ("E", roots)]
        for (name, values) in names {
            out.appendChunks(of: values, tag: name, template: Filter(since: since), limits: limits)
        }
        return out
    }
}
