import Nostr

/// What the connection loop must do after the handler processed one input.
enum RelayConnectionAction: Sendable, Equatable {
    /// Send a message to the client.
    case send(RelayMessage)
    /// Prepare a NEG-OPEN in the background (``NegentropyOpening/prepare``), then feed back
    /// `.negentropyOpened`.
    case prepareNegentropy(subscriptionID: String, generation: Int, filter: Filter, initialMessage: [UInt8])
    /// Close the WebSocket (after sending the preceding messages).
    case close(reason: String)
}
