import Nostr

/// The remote relay as a reconciler sees it: one connection's requests, each registered
/// before it is sent so no fast reply is lost. The connection actor (Transport) implements
/// it; tests swap in scripted channels.
public protocol HistoricRelayChannel: Sendable {
    /// Registers `subscriptionID` and returns its deliveries (a `.timeout` after `timeout`
    /// seconds without a message for it, a `.disconnected` when the connection ends).
    func register(_ subscriptionID: String, timeout: Double) -> AsyncStream<RequestDelivery>
    /// Stops routing `subscriptionID` (its stream ends).
    func unregister(_ subscriptionID: String)
    /// Sends a message on the connection.
    func send(_ message: ClientMessage) async throws
    /// A link for one NIP-77 client session over this connection.
    func negentropyLink(timeout: Double) -> any NegentropyLink
}
