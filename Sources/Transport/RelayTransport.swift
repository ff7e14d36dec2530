import Nostr

/// Opens connections to remote relays. The sync engine depends only on this protocol, so
/// tests swap in an in-memory or fault-injecting transport and benchmarks a local one.
public protocol RelayTransport: Sendable {
    /// Connects to `url`; throws a classified `TransportError` when that fails.
    func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession
}

/// One open connection to a remote relay.
public protocol RelaySession: AnyObject, Sendable {
    /// The relay this session talks to.
    var url: RelayURL { get }
    /// Inbound messages in arrival order (a subscription's EOSE after its events). The
    /// sequence applies back-pressure: an unconsumed message stops reading from the socket.
    /// It ends when the connection closes; `closeReason` then says why.
    var messages: RelayMessageStream { get }
    /// Sends one message. Throws `.notConnected` after the connection closed, or
    /// `.messageTooLarge` for a message over the outbound limit (never sent).
    func send(_ message: ClientMessage) async throws(TransportError)
    /// Closes the connection cleanly; `messages` then ends.
    func close() async
    /// Why the connection ended (nil while open, or after our own clean close).
    func closeReason() async -> TransportError?
}
