import Nostr

extension SyncFilterBuilder {
    /// Kinds the consolidated live set streams relay-wide in place of Layer 3 root-id filters
    /// when even byte-packed root-id filters would need more subscriptions than the relay
    /// allows (``consolidatedLiveFilters(repos:rootEvents:limits:maxSubscriptions:perSubscription:)``):
    /// NIP-22 comments, NIP-34 patches, PRs, issues and statuses, deletions, labels, and the
    /// kinds that reply to or react to threads (1 notes with replies and quotes, 6/16 reposts,
    /// 7 reactions, 9735 zaps). What it brings that belongs to no synced thread the acceptance
    /// policy refuses.
    public static let rootEventReplyKinds: [Int] = [1, 5, 6, 7, 16, 1111, 1617, 1618, 1619, 1621, 1622, 1630, 1631, 1632, 1633, 1985, 9735]

    /// The relay-wide live filter that stands for every Layer 3 live filter of a relay in
    /// the approximate consolidated set: `{kinds: rootEventReplyKinds, limit: 0}`.
    public static func rootEventRepliesLive() -> Filter {
        Filter(kinds: rootEventReplyKinds, limit: 0)
    }

    /// Whether `filter` is a Layer 3 filter (`#e`, `#E` or `#q` with event ids).
    public static func isLayer3(_ filter: Filter) -> Bool {
        guard filter.kinds == nil, filter.tags.count == 1, let (name, values) = filter.tags.first else { return false }
        switch name {
        case "e", "E": return true
        case "q": return values.allSatisfy { !$0.contains(":") }
        default: return false
        }
    }

    /// Live (`limit: 0`) filters for `repos` and `rootEvents` with value lists as big as
    /// `limits` allow (state `#d`, Layer 2 `#a`/`#A`/`#q` coordinates, Layer 3 `#e`/`#E`/`#q`
    /// root ids; coordinates and root ids never share a filter, so Layer 3 filters stay
    /// recognisable by ``isLayer3(_:)``). They match exactly what the reference-sized
    /// ``filters(repos:rootEvents:since:live:limits:)`` match, in far fewer filters.
    public static func packedLiveFilters(repos: [RepoRef: SyncLevel], rootEvents: Set<String>, limits: RequestLimits) -> [Filter] {
        let identifiers = repos.keys.map(\.identifier)
        let coordinates = repos.filter { $0.value == .full }.map(\.key.description)
        let roots = Array(rootEvents)
        var out = limits.chunks(identifiers, field: "d").map { Filter(kinds: [NIP34.repoState], tags: ["d": $0], limit: 0) }
        for (name, values) in [("a", coordinates), ("A", coordinates), ("q", coordinates), ("e", roots), ("E", roots), ("q", roots)] {
            out += limits.chunks(values, field: name).map { Filter(tags: [name: $0], limit: 0) }
        }
        return out
    }

    /// The consolidated live set of a relay, as groups of filters (one REQ each): Layer 1,
    /// then ``packedLiveFilters(repos:rootEvents:limits:)``, packed by ``pack(_:perSubscription:limits:)``.
    /// When that needs more than `maxSubscriptions` REQs, Layer 3 is replaced by
    /// ``rootEventRepliesLive()`` and `approximate` is true (coverage of root-event replies is
    /// then by kind, not exact).
    public static func consolidatedLiveFilters(repos: [RepoRef: SyncLevel], rootEvents: Set<String>, limits: RequestLimits,
                                               maxSubscriptions: Int, perSubscription: Int) -> (groups: [[Filter]], approximate: Bool) {
        let layer1 = layer1(since: nil, live: true)
        let exact = pack(layer1 + packedLiveFilters(repos: repos, rootEvents: rootEvents, limits: limits),
                         perSubscription: perSubscription, limits: limits)
        if exact.count <= maxSubscriptions { return (exact, false) }
        let withoutLayer3 = layer1 + packedLiveFilters(repos: repos, rootEvents: [], limits: limits) + [rootEventRepliesLive()]
        return (pack(withoutLayer3, perSubscription: perSubscription, limits: limits), true)
    }

    /// `filter` cut along its biggest value list until every part fits `limits` (a part with
    /// one value left is kept as it is).
    public static func split(_ filter: Filter, toFit limits: RequestLimits) -> [Filter] {
        var out: [Filter] = []
        var work = [filter]
        while let next = work.popLast() {
            if limits.admits(next) { out.append(next); continue }
            guard let (a, b) = next.splitAlongLargestValueList() else { out.append(next); continue }
            work.append(b)
            work.append(a)
        }
        return out
    }

    /// `filters` in groups (one REQ each) of at most `perSubscription` filters (and at most
    /// `limits.maxFiltersPerRequest`) whose JSON together stays within one message, order kept.
    public static func pack(_ filters: [Filter], perSubscription: Int, limits: RequestLimits = RequestLimits()) -> [[Filter]] {
        let size = max(1, min(perSubscription, limits.maxFiltersPerRequest))
        let budget = limits.maxFilterJSONBytes
        var groups: [[Filter]] = []
        var current: [Filter] = []
        var bytes = 0
        for filter in filters {
            let b = filter.jsonText.utf8.count + 1
            if !current.isEmpty && (current.count == size || bytes + b > budget) {
                groups.append(current)
                current = []
                bytes = 0
            }
            current.append(filter)
            bytes += b
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }
}
