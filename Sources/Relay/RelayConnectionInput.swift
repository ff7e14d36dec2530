import Nostr
import Store

/// Everything a connection's processing loop consumes, in arrival order.
enum RelayConnectionInput: Sendable {
    /// A text message from the client.
    case text(String)
    /// A binary message (not part of the protocol).
    case binary
    /// A newly stored event to match against live subscriptions.
    case live(NostrEvent)
    /// The live feed ended because this connection fell too far behind.
    case liveOverflow
    /// A NEG-OPEN's preparation finished (computed off the loop so other messages keep flowing).
    case negentropyOpened(subscriptionID: String, generation: Int, NegentropyOpening)
    /// A timer tick: idle negentropy sessions are expired even on a quiet connection.
    case tick
}
