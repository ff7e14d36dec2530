import Nostr

/// What a relay's connection actor tells the engine, each tagged with the generation the
/// engine gave the connection when it started reading it.
public enum RemoteRelayEvent: Sendable, Equatable {
    /// Delivered events were stored (`saved` new ones).
    case delivered(generation: Int, saved: Int)
    /// The relay ended a subscription nobody was waiting on (a live one) with CLOSED.
    case subscriptionClosed(generation: Int, subscriptionID: String, reason: String)
    /// The session ended; `reason` nil when this side closed it.
    case ended(generation: Int, reason: TransportError?)
}
