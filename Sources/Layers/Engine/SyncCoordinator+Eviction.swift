import Nostr

/// The tracked-relay cap (`maxTrackedRelays`): who makes room for a new relay, and which
/// restored relays are kept. The choices are `TrackedRelayEviction`'s; this only gathers
/// what it needs and carries them out.
extension SyncCoordinator {
    /// A relay delivered events the node accepted (it keeps its place at the cap).
    func relayDelivered(_ url: RelayURL) {
        // Saved with the next state write (at most 5 s later), so a restart keeps its place.
        if relays[url]?.deliveredEvents == false {
            relays[url]?.deliveredEvents = true
            stateDirty = true
        }
    }

    /// Evicts one relay to make room at the cap; false when none may go (true anyway for a
    /// bootstrap newcomer, which is tracked above the cap then).
    func makeRoomForRelay(bootstrap: Bool) async -> Bool {
        var failures: [String: Int] = [:]
        for snapshot in await health.snapshots() { failures[snapshot.url] = snapshot.consecutiveFailures }
        let candidates = relays.compactMap { url, state -> TrackedRelayEviction.Relay? in
            // Already on its way out.
            guard state.status != .disconnecting else { return nil }
            return evictionFacts(url, state, failures: failures[url.description] ?? 0)
        }
        guard let victim = TrackedRelayEviction.victim(among: candidates) else { return bootstrap }
        logger.notice("tracked-relay cap (\(configuration.maxTrackedRelays)) reached: evicting \(victim), which never delivered events")
        if relays[victim]?.status == .disconnected {
            removeRelay(victim)
        } else {
            await drop(victim)
        }
        return true
    }

    /// Applies the cap to relays restored from saved state (saved before the cap, or with a
    /// higher one): the ones `TrackedRelayEviction.keep` does not keep are forgotten.
    func capRestoredRelays() {
        guard relays.count > configuration.maxTrackedRelays else { return }
        let facts = relays.map { url, state in evictionFacts(url, state, failures: 0) }
        let kept = TrackedRelayEviction.keep(facts, limit: configuration.maxTrackedRelays)
        for url in relays.keys where !kept.contains(url) {
            relays[url] = nil
            confirmed.remove(relay: url)
        }
        logger.warning("restored more relays than --max-tracked-relays (\(configuration.maxTrackedRelays)); kept \(relays.count)")
    }

    private func evictionFacts(_ url: RelayURL, _ state: RelaySyncState, failures: Int) -> TrackedRelayEviction.Relay {
        TrackedRelayEviction.Relay(
            url: url, isBootstrap: state.isBootstrap || configuration.bootstrapRelays.contains(url),
            deliveredEvents: state.deliveredEvents,
            hasConnected: state.connectedAt != nil || state.disconnectedAt != nil,
            lastSeen: state.disconnectedAt ?? state.connectedAt, failures: failures,
            isConnecting: state.status == .connecting)
    }
}
