import Nostr

/// What each relay has confirmed (the sync part of the reference's RelaySyncIndex), with the
/// level each repo was confirmed at (decisions: Three indexes and one diff, Sync level per item).
///
/// Connection state lives elsewhere (App, Health). Codable so the App can persist it across
/// restarts (decisions: Restart is a quick reconnect); the encoding is deterministic.
public struct ConfirmedSyncIndex: Sendable, Equatable {
    var byRelay: [RelayURL: RelaySyncNeeds] = [:]

    /// An empty index.
    public init() {}

    /// Adds a completed batch's repos (at the higher of the confirmed and batch levels) and
    /// root events to its relay. A failed batch is confirmed too (as in the reference; the
    /// caller records the failure; decisions: Three indexes and one diff). A generic (Layer-1)
    /// batch only registers the relay.
    public mutating func confirm(_ batch: PendingBatch) {
        byRelay[batch.relay, default: RelaySyncNeeds()].formUnion(batch.needs)
    }

    /// Everything confirmed on `relay` (empty when unknown).
    public func needs(for relay: RelayURL) -> RelaySyncNeeds { byRelay[relay] ?? RelaySyncNeeds() }

    /// Empties a relay's confirmed state (fresh start, daily resync) but keeps it listed.
    public mutating func clear(_ relay: RelayURL) {
        guard byRelay[relay] != nil else { return }
        byRelay[relay] = RelaySyncNeeds()
    }

    /// Forgets a relay (no longer tracked).
    public mutating func remove(relay: RelayURL) {
        byRelay[relay] = nil
    }

    /// Relays with a confirmed record (possibly empty), sorted.
    public var relays: [RelayURL] { byRelay.keys.sorted() }
}
