/// Entry counts of the rejected-events index per tier and event type, as read at one tick.
///
/// Feeds `ngit_sync_rejected_hot_cache_current` and `ngit_sync_rejected_cold_index_current`.
/// Unlike the reference, each `event_type` series reports the entries of that type, not the
/// tier's total (decisions: Gauges derived from state). A type missing from a dictionary counts as 0.
public struct RejectedIndexSizes: Sendable, Equatable, Codable {
    /// Hot-cache entries per type.
    public var hot: [RejectedIndexEventType: Int]
    /// Cold-index entries per type.
    public var cold: [RejectedIndexEventType: Int]

    /// Creates sizes; omitted types count as 0.
    public init(hot: [RejectedIndexEventType: Int] = [:], cold: [RejectedIndexEventType: Int] = [:]) {
        self.hot = hot
        self.cold = cold
    }

    /// An empty index.
    public static let empty = RejectedIndexSizes()

    /// The number of entries of `type` in `tier` (0 if absent).
    public func count(_ tier: RejectedIndexTier, _ type: RejectedIndexEventType) -> Int {
        switch tier {
        case .hot: max(hot[type] ?? 0, 0)
        case .cold: max(cold[type] ?? 0, 0)
        }
    }
}
