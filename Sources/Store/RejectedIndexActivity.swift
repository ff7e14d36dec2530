/// Something the ``RejectedEventsIndex`` did that the `ngit_sync_rejected_*_total` counters
/// count, reported to the index's observer. Store does not know the metrics module; the
/// composition maps these to its metric events.
public enum RejectedIndexActivity: Sendable, Equatable {
    /// An invalidation handed out `count` (> 0) fresh hot events of `type` for re-processing.
    case hotCacheHits(RejectedEventType, count: Int)
    /// An invalidation covering `type` found no fresh hot event of that type.
    case hotCacheMiss(RejectedEventType)
    /// An invalidation removed `count` (> 0) cold entries of `type`.
    case invalidated(RejectedEventType, count: Int)
    /// Cleanup dropped `count` (> 0) hot entries of `type` whose TTL had passed.
    case hotCacheExpired(RejectedEventType, count: Int)
    /// Cleanup dropped `count` (> 0) cold entries of `type` whose TTL had passed.
    case coldIndexExpired(RejectedEventType, count: Int)
}
