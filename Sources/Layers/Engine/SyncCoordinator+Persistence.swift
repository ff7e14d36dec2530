import Foundation
import Nostr
import Store
import Reconcile

/// What survives a restart (decisions: Restart is a quick reconnect), besides the confirmed
/// sync state (the store's per-relay item rows, written as they change): when each relay
/// was last seen connected, so a restart within the quick-reconnect window catches up with
/// `since`, and what each relay taught.
struct PersistedSyncState: Codable {
    /// 2: the confirmed state is in the store's relay item rows; 1: it was `confirmed` here.
    var version = 2
    var savedAt: Double
    /// The confirmed state as version 1 kept it (read once, then written as rows).
    var confirmed: ConfirmedSyncIndex?
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

    /// Writes what the confirmed state changed since the last write and the small state
    /// (last-seen times, what relays taught) in one transaction. The changes and the small
    /// state are taken here; converting and the write run in the background, one after
    /// another in call order, so the engine never waits for them. `stop()` awaits the last
    /// one. A failed write makes the next one write the whole confirmed state.
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
        let snapshot = PersistedSyncState(savedAt: now, lastSeen: lastSeen, negentropy: support,
                                          requestLimits: limits, deliveredEvents: delivered.sorted(), graspServers: grasp,
                                          informationFetchedAt: fetchedAt)
        let changes = withConfirmedJournal { $0.takeChanges() }
        let previous = persistWrite
        let store = ingestor.store
        let logger = self.logger
        persistWrite = Task.detached {
            await previous?.value
            do {
                let data = try JSONEncoder().encode(snapshot)
                try store.writeRelayItems(changes.map(Self.storeChange),
                                          metadata: [Self.persistenceKey: String(decoding: data, as: UTF8.self)])
            } catch {
                logger.error("could not persist sync state (the next write rewrites it whole): \(error)")
                await self.persistFailed()
            }
        }
    }

    /// A write failed: the confirmed changes it carried are lost, so the next write carries
    /// the whole confirmed state.
    func persistFailed() {
        withConfirmedJournal { $0.journalEverything() }
        stateDirty = true
    }

    /// Works on the confirmed index's journal only: that changes no confirmed item, so the
    /// cached diff stays valid (the index's `didSet` would otherwise invalidate it).
    func withConfirmedJournal<T>(_ body: (inout ConfirmedSyncIndex) -> T) -> T {
        let revision = diffRevision
        defer { diffRevision = revision }
        return body(&confirmed)
    }

    /// A confirmed-state change as the store's relay item rows: root events at level 0,
    /// repositories at their sync level.
    static func storeChange(_ change: ConfirmedSyncIndex.Change) -> RelayItemsChange {
        switch change {
        case .added(let relay, let needs):
            var items: [RelayItem] = []
            items.reserveCapacity(needs.repos.count + needs.rootEvents.count)
            for (ref, level) in needs.repos { items.append(RelayItem(value: ref.description, level: level.rawValue)) }
            for id in needs.rootEvents { items.append(RelayItem(value: id, level: rootEventLevel)) }
            return .add(relay: relay.description, items: items)
        case .cleared(let relay): return .clear(relay: relay.description)
        case .removed(let relay): return .remove(relay: relay.description)
        case .replacedAll: return .removeAll
        }
    }

    /// The level of a root event's row (repositories are at their ``SyncLevel``, 1 or 2).
    static let rootEventLevel = 0

    /// The confirmed state from the store's relay item rows.
    func loadConfirmedRows() throws(StoreError) -> ConfirmedSyncIndex {
        var relays: [RelayURL: RelaySyncNeeds] = [:]
        var current: (key: String, url: RelayURL?, needs: RelaySyncNeeds)?
        func flush() {
            if let done = current, let url = done.url { relays[url, default: RelaySyncNeeds()].formUnion(done.needs) }
        }
        try ingestor.store.forEachRelayItem { relay, item in
            if current?.key != relay {
                flush()
                current = (relay, RelayURL(relay), RelaySyncNeeds())
            }
            guard let item else { return }
            if item.level == Self.rootEventLevel {
                current?.needs.rootEvents.insert(item.value)
            } else if let ref = RepoRef(item.value), let level = SyncLevel(rawValue: item.level) {
                current?.needs.insert(ref, level: level)
            }
        }
        flush()
        return ConfirmedSyncIndex(restoring: relays)
    }

    /// Waits until every state write started so far is on disk.
    func flushPersistedState() async {
        await persistWrite?.value
    }

    func loadPersistedState() {
        // Before the desired index is preloaded from the store, so every announcement is capped.
        desired.relayLimits = configuration.announcementRelayLimits
        do {
            guard let text = try ingestor.store.metadata(Self.persistenceKey) else {
                // Nothing saved (rows are written with the metadata): start the rows afresh too.
                confirmed.journalEverything()
                return
            }
            let snapshot = try JSONDecoder().decode(PersistedSyncState.self, from: Data(text.utf8))
            if let old = snapshot.confirmed {
                // Version 1: the next write moves it into the relay item rows.
                confirmed = old
                confirmed.journalEverything()
            } else {
                confirmed = try loadConfirmedRows()
            }
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
            confirmed = ConfirmedSyncIndex()
            confirmed.journalEverything()
        }
    }
}
