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
    /// The store listing for a NEG-OPEN finished (computed off the loop so REQs keep flowing).
    case negentropyListing(subscriptionID: String, generation: Int, Result<StoredIDListing, StoreError>)
}
