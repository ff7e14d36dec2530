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
