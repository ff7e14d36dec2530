/// How a (re)connection to a relay was synced (reference §4.4, with W1-W3 fixed).
public enum SyncStrategy: Sendable, Equatable {
    /// Confirmed state discarded; everything synced from scratch.
    case freshStart
    /// Reconnected within the quick-reconnect window: every layer caught up from `since`.
    case quickReconnect(since: Int64)
}
