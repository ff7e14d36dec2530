import Nostr

extension SyncFilterBuilder {
    /// Kinds the consolidated live set streams relay-wide in place of per-root-event Layer 3
    /// filters: NIP-22 comments, NIP-34 patches, PRs, issues and statuses, deletions and labels.
    /// (Kinds 1 and 7 are left out: on a general relay they are a firehose.)
    public static let rootEventReplyKinds: [Int] = [5, 1111, 1617, 1618, 1619, 1621, 1622, 1630, 1631, 1632, 1633, 1985]

    /// The consolidated live filter that replaces every Layer 3 live filter of a relay:
    /// `{kinds: rootEventReplyKinds, limit: 0}`. One subscription instead of three per 100
    /// root events; what it brings that belongs to no synced thread the acceptance policy
    /// refuses.
    public static func rootEventRepliesLive() -> Filter {
        Filter(kinds: rootEventReplyKinds, limit: 0)
    }

    /// Whether `filter` is a Layer 3 filter (`#e`, `#E` or `#q` with event ids), which the
    /// consolidated live set covers with ``rootEventRepliesLive()``.
    public static func isLayer3(_ filter: Filter) -> Bool {
        guard filter.kinds == nil, filter.tags.count == 1, let (name, values) = filter.tags.first else { return false }
        switch name {
        case "e", "E": return true
        case "q": return values.allSatisfy { !$0.contains(":") }
        default: return false
        }
    }

    /// `filters` in groups of at most `perSubscription` (one REQ each), order kept.
    public static func pack(_ filters: [Filter], perSubscription: Int) -> [[Filter]] {
        let size = max(1, perSubscription)
        return stride(from: 0, to: filters.count, by: size).map { Array(filters[$0..<min($0 + size, filters.count)]) }
    }
}

extension SyncFilterBuilder {
    /// Values per filter when historic sync goes through NIP-77 (1,000, about 67 KB of ids:
    /// under strfry's 128 KiB frames). A negentropy session costs a round trip whatever its
    /// size and has no result-size paging to protect, so ten reference-sized chunks are
    /// reconciled as one.
    public static let negentropyChunkSize = 1_000

    /// `filters` with single-tag filters that differ only in their tag values merged, up to
    /// `maxValues` values each. Other filters come first, unchanged; then the merged filters
    /// grouped by tag name in order of first appearance (all `#e` before all `#E`), so when a
    /// batch reconciles a few filters at a time, overlapping ones (`#e` and `#E` of the same
    /// roots) do not run together and the later one finds the earlier one's events stored.
    public static func coalesced(_ filters: [Filter], maxValues: Int = negentropyChunkSize) -> [Filter] {
        struct Key: Hashable {
            let name: String
            let kinds: [Int]?
            let since: Int64?
            let until: Int64?
            let limit: Int?
        }
        var order: [Key] = []
        var values: [Key: [String]] = [:]
        var out: [(position: Int, filter: Filter)] = []
        for (position, filter) in filters.enumerated() {
            guard filter.ids == nil, filter.authors == nil, filter.tags.count == 1, let (name, tagValues) = filter.tags.first else {
                out.append((position, filter))
                continue
            }
            let key = Key(name: name, kinds: filter.kinds, since: filter.since, until: filter.until, limit: filter.limit)
            if values[key] == nil { order.append(key) }
            values[key, default: []] += tagValues
        }
        for key in order {
            var seen = Set<String>()
            let unique = values[key]!.filter { seen.insert($0).inserted }
            let size = max(1, maxValues)
            for start in stride(from: 0, to: unique.count, by: size) {
                let chunk = Array(unique[start..<min(start + size, unique.count)])
                out.append((filters.count + out.count, Filter(kinds: key.kinds, tags: [key.name: chunk], since: key.since, until: key.until, limit: key.limit)))
            }
        }
        return out.sorted { $0.position < $1.position }.map(\.filter)
    }
}
