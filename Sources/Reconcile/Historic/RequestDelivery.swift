import Nostr

/// What a historic request (a REQ, a NEG-OPEN) receives from the relay connection: a
/// message addressed to it, a timeout (nothing for it within its timeout, repeated while it
/// stays quiet), or the end of the connection.
public enum RequestDelivery: Sendable, Equatable {
    case message(RelayMessage)
    case timeout
    case disconnected
}
