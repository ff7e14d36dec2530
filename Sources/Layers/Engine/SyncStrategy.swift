/// How a (re)connection to a relay was synced (decisions: Connection status machine,
/// Reconnect from the disconnect, Catch up every layer).
public enum SyncStrategy: Sendable, Equatable {
    /// Confirmed state discarded; everything synced from scratch.
    case freshStart
    /// Reconnected within the quick-reconnect window: every layer caught up from `since`.
    case quickReconnect(since: Int64)
}
