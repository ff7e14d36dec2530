import Nostr

/// What the connection loop must do after the handler processed one input.
enum RelayConnectionAction: Sendable, Equatable {
    /// Send a message to the client.
    case send(RelayMessage)
    /// List the store's items for a NEG-OPEN in the background, then feed back `.negentropyListing`.
    case listNegentropyItems(subscriptionID: String, generation: Int, filter: Filter)
    /// Close the WebSocket (after sending the preceding messages).
    case close(reason: String)
}
