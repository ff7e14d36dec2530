import Nostr

/// What a NIP-77 client session needs from a connection. The sync engine implements it
/// on top of a transport session, routing the messages of one subscription id (and every
/// NOTICE) to it; tests implement it with scripted relays.
public protocol NegentropyLink: Sendable {
    /// Sends a message to the relay.
    func send(_ message: ClientMessage) async throws
    /// The next event for this session: a relay message, an idle timeout, or nil when the
    /// connection ended.
    func next() async -> NegentropyLinkEvent?
    /// The session is over: release what the link holds (its subscription, any gate).
    func finish() async
}

/// An input of a client session.
extension NegentropyLink {
    /// Nothing to release by default.
    public func finish() async {}
}

public enum NegentropyLinkEvent: Sendable, Equatable {
    case message(RelayMessage)
    /// The driver's idle timer fired (no NEG-MSG progress for the idle timeout).
    case idleTimeout
}
