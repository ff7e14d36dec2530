import Nostr
import Store

/// What the connection loop must do after the handler processed one input.
enum RelayConnectionAction: Sendable, Equatable {
    /// Send a message to the client.
    case send(RelayMessage)
    /// Send a message already serialised (a live event: its JSON made once for every
    /// subscription it matches).
    case sendText(String)
    /// Send a REQ's stored events as their stored JSON, page by page (each page written to the
    /// client before the next is read), then EOSE; a store failure ends the subscription with
    /// CLOSED instead (``RelayConnectionHandler/storedEventsFailed(subscriptionID:error:)``).
    case sendStored(subscriptionID: String, cursor: StoredEventCursor)
    /// Prepare a NEG-OPEN in the background (``NegentropyOpening/prepare``), then feed back
    /// `.negentropyOpened`.
    case prepareNegentropy(subscriptionID: String, generation: Int, filter: Filter, initialMessage: [UInt8])
    /// Close the WebSocket (after sending the preceding messages).
    case close(reason: String)
}
