import Store

extension NodeEvent {
    /// The metric event of a rejected-events index activity (the index reports in Store's
    /// terms; Store does not depend on the metrics module).
    public init(_ activity: RejectedIndexActivity) {
        switch activity {
        case .hotCacheHits(let type, let count): self = .rejectedHotCacheHits(RejectedIndexEventType(type), count: count)
        case .hotCacheMiss(let type): self = .rejectedHotCacheMiss(RejectedIndexEventType(type))
        case .invalidated(let type, let count): self = .rejectedEntriesInvalidated(RejectedIndexEventType(type), count: count)
        case .hotCacheExpired(let type, let count): self = .rejectedEntriesExpired(.hot, RejectedIndexEventType(type), count: count)
        case .coldIndexExpired(let type, let count): self = .rejectedEntriesExpired(.cold, RejectedIndexEventType(type), count: count)
        }
    }
}

extension RejectedIndexEventType {
    /// The `event_type` label of a Store entry type.
    public init(_ type: RejectedEventType) {
        switch type {
        case .announcement: self = .announcement
        case .state: self = .state
        }
    }
}
