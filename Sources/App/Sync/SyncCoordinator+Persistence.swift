import Foundation
import Layers
import Nostr
import Transport
import Reconcile

/// What survives a restart (decisions: Restart is a quick reconnect): confirmed sync state
/// and when each relay was last seen
/// connected, so a restart within the quick-reconnect window catches up with `since`.
struct PersistedSyncState: Codable {
    var version = 1
    var savedAt: Double
    var confirmed: ConfirmedSyncIndex
    /// Relay URL -> last time it was connected (or its disconnect time).
    var lastSeen: [String: Double]
    var negentropy: [String: NegentropySupport]
    /// Request limits learned from relays' "too large" refusals (absent in older states).
    var requestLimits: [String: RequestLimits]?
    /// Relays that delivered events the node accepted, so they keep their places at the
    /// tracked-relay cap after a restart (absent in older states).
    var deliveredEvents: [String]?
    /// Whether each relay's NIP-11 document named GRASP specifications, and when it was
    /// fetched (absent in older states).
    var graspServers: [String: Bool]?
    var informationFetchedAt: [String: Double]?
}

extension SyncCoordinator {
    static let persistenceKey = "sync.state.v1"

    /// Writes the confirmed state and last-seen times. The snapshot is taken here (a copy of
    /// the indexes); encoding and the write run in the background, one after another in call
    /// order, so the engine never waits for them. `stop()` awaits the last one.
    func persistState() {
        let now = self.now
        stateDirty = false
        lastPersistedAt = now
        var lastSeen: [String: Double] = [:]
        var support: [String: NegentropySupport] = [:]
        var limits: [String: RequestLimits] = [:]
        var delivered: [String] = []
        var grasp: [String: Bool] = [:]
        var fetchedAt: [String: Double] = [:]
        for (url, state) in relays {
            if let g = state.graspServer { grasp[url.description] = g }
            if let f = state.informationFetchedAt { fetchedAt[url.description] = f }
            if state.deliveredEvents { delivered.append(url.description) }
            if state.requestLimits != configuration.requestLimits { limits[url.description] = state.requestLimits }
            if state.status.isConnected { lastSeen[url.description] = now } else if let d = state.disconnectedAt { lastSeen[url.description] = d }
            support[url.description] = state.reconciler.negentropySupport
        }
        let snapshot = PersistedSyncState(savedAt: now, confirmed: confirmed, lastSeen: lastSeen, negentropy: support,
                                          requestLimits: limits, deliveredEvents: delivered.sorted(), graspServers: grasp,
                                          informationFetchedAt: fetchedAt)
        let previous = persistWrite
        let store = ingestor.store
        let logger = self.logger
        persistWrite = Task.detached {
            await previous?.value
            do {
                let data = try JSONEncoder().encode(snapshot)
                try store.setMetadata(Self.persistenceKey, String(decoding: data, as: UTF8.self))
            } catch {
                logger.error("could not persist sync state: \(error)")
            }
        }
    }

    /// Waits until every state write started so far is on disk.
    func flushPersistedState() async {
        await persistWrite?.value
    }

    func loadPersistedState() {
        // Before the desired index is preloaded from the store, so every announcement is capped.
        desired.relayLimits = configuration.announcementRelayLimits
        do {
            guard let text = try ingestor.store.metadata(Self.persistenceKey) else { return }
            let snapshot = try JSONDecoder().decode(PersistedSyncState.self, from: Data(text.utf8))
            confirmed = snapshot.confirmed
            let delivered = Set(snapshot.deliveredEvents ?? [])
            for (key, seen) in snapshot.lastSeen {
                guard let url = RelayURL(key), !configuration.ownURLs.contains(url) else { continue }
                var state = relays[url] ?? newRelayState(url, bootstrap: configuration.bootstrapRelays.contains(url))
                state.disconnectedAt = seen
                state.reconciler.negentropySupport = snapshot.negentropy[key] ?? .unknown
                if let learned = snapshot.requestLimits?[key] { state.requestLimits = learned }
                if delivered.contains(key) { state.deliveredEvents = true }
                state.graspServer = snapshot.graspServers?[key]
                state.informationFetchedAt = snapshot.informationFetchedAt?[key]
                relays[url] = state
            }
            capRestoredRelays()
            logger.info("restored sync state of \(snapshot.lastSeen.count) relays")
        } catch {
            logger.error("could not restore sync state, starting fresh: \(error)")
        }
    }
}
