/// What the store did with an event handed to `insert` (NIP-01 storage semantics; the
/// acceptance policy has already run).
public enum InsertOutcome: Sendable, Equatable {
    /// Newly stored (replacing an older replaceable/addressable version if there was one).
    case saved
    /// An event with this id is already stored.
    case duplicate
    /// A newer version of this replaceable or addressable event is already stored.
    case superseded
    /// The author deleted this event (NIP-09) before it arrived.
    case deleted
    /// Ephemeral kind (20000-29999): broadcast, never stored.
    case ephemeral

    /// Whether the event is now live for subscribers.
    public var isNew: Bool { self == .saved || self == .ephemeral }
}
