/// The deferred-events index (events held until the repository or event they reference
/// arrives), as read at one tick: its size and its cumulative counts since start.
///
/// Feeds `grasp_deferred_events`, `grasp_deferred_bytes` and
/// `grasp_deferred_events_total{outcome}`. The counts are cumulative, so ``NodeMetrics``
/// advances each counter by the growth since the previous snapshot.
public struct DeferredIndexFigures: Sendable, Equatable {
    /// A counted outcome: the `outcome` label value.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Held because a referenced repository or event was missing.
        case added
        /// Handed back for re-processing when what it waited for arrived.
        case reprocessed
        /// Re-processed and then stored.
        case accepted
        /// Evicted (or not held) to stay within the event-count bound.
        case evictedCount = "evicted_count"
        /// Evicted (or not held) to stay within the byte bound.
        case evictedBytes = "evicted_bytes"
        /// Dropped after its TTL.
        case expired
    }

    /// Events held now.
    public var events: Int
    /// Bytes of event JSON held now.
    public var bytes: Int
    /// Cumulative count per outcome; a missing outcome counts as 0.
    public var totals: [Outcome: Int]

    /// Creates figures; omitted values are 0.
    public init(events: Int = 0, bytes: Int = 0, totals: [Outcome: Int] = [:]) {
        self.events = events
        self.bytes = bytes
        self.totals = totals
    }

    /// An empty index.
    public static let empty = DeferredIndexFigures()

    /// The cumulative count of `outcome` (0 if absent, never negative).
    public func total(_ outcome: Outcome) -> Int { max(totals[outcome] ?? 0, 0) }
}
