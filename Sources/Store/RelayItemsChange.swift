/// One change to the store's per-relay item sets (the sync engine's confirmed state: what
/// each remote relay was synced for), applied in order by
/// ``EventStore/writeRelayItems(_:metadata:)``. Persisting changes instead of a snapshot
/// keeps each write as small as what changed: at a million events the confirmed state holds
/// ~400,000 root ids, and re-encoding all of them every few seconds cost ~130 MB at the peak.
public enum RelayItemsChange: Sendable, Equatable {
    /// Adds items to the relay's set and lists the relay; an item already held keeps the
    /// higher of the two levels.
    case add(relay: String, items: [RelayItem])
    /// Empties the relay's set; the relay stays listed.
    case clear(relay: String)
    /// Forgets the relay.
    case remove(relay: String)
    /// Forgets every relay (before the whole state is written again).
    case removeAll
}
