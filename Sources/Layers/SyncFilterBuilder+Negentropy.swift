import Nostr

extension SyncFilterBuilder {
    /// The historic filters of ``filters(repos:rootEvents:since:live:)`` as NIP-77 reconciles
    /// them: the same as ``coalesced(_:maxValues:)`` of those filters, built directly (each
    /// value list sorted once and cut into chunks of `maxValues`, with no reference-sized
    /// filters built only to be merged again: a relay with tens of thousands of root events
    /// gets its filters in a few milliseconds).
    ///
    /// Order: state (`#d`), then `#a`, `#A`, `#q` (coordinates, then root event ids), `#e`,
    /// `#E`; without Layer 2 repos: `#e`, `#E`, `#q`.
    public static func negentropyFilters(repos: [RepoRef: SyncLevel], rootEvents: Set<String>, since: Int64?,
                                         maxValues: Int = negentropyChunkSize) -> [Filter] {
        let size = max(1, maxValues)
        func chunked(_ values: [String], _ make: ([String]) -> Filter) -> [Filter] {
            stride(from: 0, to: values.count, by: size).map { make(Array(values[$0..<min($0 + size, values.count)])) }
        }
        let identifiers = Set(repos.keys.map(\.identifier)).sorted()
        let coordinates = repos.filter { $0.value == .full }.map(\.key).sorted().map(\.description)
        let roots = rootEvents.sorted()
        var out = chunked(identifiers) { Filter(kinds: [NIP34.repoState], tags: ["d": $0], since: since) }
        let names: [(String, [String])] = coordinates.isEmpty
            ? [("e", roots), ("E", roots), ("q", roots)]
            : [("a", coordinates), ("A", coordinates), ("q", coordinates + roots), ("e", roots), ("E", roots)]
        for (name, values) in names {
            out += chunked(values) { Filter(tags: [name: $0], since: since) }
        }
        return out
    }
}
