import Nostr

/// Where a connection puts the events a relay delivers (the store's ingest path, wired in
/// App). Awaited before the messages after them are routed, so a request's EOSE always
/// follows its events into the store.
public protocol InboundEventSink: Sendable {
    /// Ingests `events` delivered by `relay`; returns how many were new and saved.
    func ingest(_ events: [NostrEvent], from relay: RelayURL) async -> Int
}
