/// What a historic request keeps of one event the relay delivered for it: the id, the
/// timestamp, and whether it matched the request's filter (relays may send others).
struct DeliveredEvent: Sendable, Hashable {
    let id: NegentropyID
    let createdAt: Int64
    let matchesFilter: Bool
}
