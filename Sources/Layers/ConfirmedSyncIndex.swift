import Nostr

/// What each relay has confirmed (the sync part of the reference's RelaySyncIndex), with the
/// level each repo was confirmed at (decisions: Three indexes and one diff, Sync level per item).
///
/// Connection state lives elsewhere (App, Health). The index journals its changes so the App
/// persists what changed since the last write (``takeChanges()``) instead of the whole index
/// (decisions: Restart is a quick reconnect); it is also Codable (deterministic), the form
/// earlier versions persisted.
public struct ConfirmedSyncIndex: Sendable, Equatable {
    /// One change since the last ``takeChanges()``.
    public enum Change: Sendable, Equatable {
        /// A batch's repos and root events were confirmed on the relay (a relay seen for the
        /// first time is listed, even with nothing in it).
        case added(RelayURL, RelaySyncNeeds)
        /// The relay's confirmed state was emptied; it stays listed.
        case cleared(RelayURL)
        /// The relay was forgotten.
        case removed(RelayURL)
        /// Everything before was forgotten; the changes after it list the whole index.
        case replacedAll
    }

    var byRelay: [RelayURL: RelaySyncNeeds] = [:]
    /// Changes not yet taken (not part of the index's value).
    private var journal: [Change] = []

    /// An empty index.
    public init() {}

    /// An index holding `relays` (restored from storage), with no changes to take.
    public init(restoring relays: [RelayURL: RelaySyncNeeds]) {
        byRelay = relays
    }

    public static func == (a: ConfirmedSyncIndex, b: ConfirmedSyncIndex) -> Bool { a.byRelay == b.byRelay }

    /// Adds a completed batch's repos (at the higher of the confirmed and batch levels) and
    /// root events to its relay. A failed batch is confirmed too (as in the reference; the
    /// caller records the failure; decisions: Three indexes and one diff). A generic (Layer-1)
    /// batch only registers the relay.
    public mutating func confirm(_ batch: PendingBatch) {
        byRelay[batch.relay, default: RelaySyncNeeds()].formUnion(batch.needs)
        journal.append(.added(batch.relay, batch.needs))
    }

    /// Everything confirmed on `relay` (empty when unknown).
    public func needs(for relay: RelayURL) -> RelaySyncNeeds { byRelay[relay] ?? RelaySyncNeeds() }

    /// Empties a relay's confirmed state (fresh start, daily resync) but keeps it listed.
    public mutating func clear(_ relay: RelayURL) {
        guard byRelay[relay] != nil else { return }
        byRelay[relay] = RelaySyncNeeds()
        journal.append(.cleared(relay))
    }

    /// Forgets a relay (no longer tracked).
    public mutating func remove(relay: RelayURL) {
        guard byRelay.removeValue(forKey: relay) != nil else { return }
        journal.append(.removed(relay))
    }

    /// Relays with a confirmed record (possibly empty), sorted.
    public var relays: [RelayURL] { byRelay.keys.sorted() }

    /// Whether changes wait to be taken.
    public var hasChanges: Bool { !journal.isEmpty }

    /// The changes since the last call, in order (the journal is emptied).
    public mutating func takeChanges() -> [Change] {
        defer { journal = [] }
        return journal
    }

    /// Makes the next ``takeChanges()`` describe the whole index (``Change/replacedAll``, then
    /// each relay's state): after a failed write, or when the state was restored from a form
    /// that must be written anew.
    public mutating func journalEverything() {
        journal = [.replacedAll] + byRelay.keys.sorted().map { .added($0, byRelay[$0]!) }
    }
}
