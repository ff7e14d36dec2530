import Nostr

/// Fetches a remote relay's NIP-11 information document: the seam between the sync engine
/// and HTTP, so tests can inject a stub. `HTTPRelayInformationFetcher` is the production
/// implementation.
public protocol RelayInformationFetching: Sendable {
    /// The NIP-11 document of `relay` (fetched over http for `ws://`, https for `wss://`).
    ///
    /// Throws when the document cannot be had: the address is not allowed, the network
    /// failed, the relay answered with something other than a 200 JSON object, or it took
    /// too long. A failure says nothing certain about the relay's WebSocket side.
    func information(for relay: RelayURL) async throws(TransportError) -> RemoteRelayInformation
}
