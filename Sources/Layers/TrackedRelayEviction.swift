import Nostr

/// Which relays keep their places when the tracked-relay cap (`--max-tracked-relays`) is
/// reached, so announcements listing junk relays cannot crowd out the relays that matter.
///
/// Bootstrap relays and relays that delivered accepted events are never evicted. Of the
/// rest, relays that never connected go first (most failed attempts first), then relays that
/// connected but delivered nothing (longest unseen first). A relay that never connected and
/// was never tried is not evicted: it has not had its chance yet. A relay in the middle of
/// connecting is not evicted either.
public enum TrackedRelayEviction {
    /// What the choice needs to know about one tracked relay.
    public struct Relay: Sendable, Equatable {
        public var url: RelayURL
        public var isBootstrap: Bool
        /// Delivered at least one event the node accepted.
        public var deliveredEvents: Bool
        /// Was connected at some point.
        public var hasConnected: Bool
        /// Last time it was connected (or disconnected from), if ever.
        public var lastSeen: Double?
        /// Consecutive failed connection attempts.
        public var failures: Int
        /// A connection attempt is in flight.
        public var isConnecting: Bool

        public init(url: RelayURL, isBootstrap: Bool = false, deliveredEvents: Bool = false, hasConnected: Bool = false,
                    lastSeen: Double? = nil, failures: Int = 0, isConnecting: Bool = false) {
            self.url = url
            self.isBootstrap = isBootstrap
            self.deliveredEvents = deliveredEvents
            self.hasConnected = hasConnected
            self.lastSeen = lastSeen
            self.failures = failures
            self.isConnecting = isConnecting
        }

        var isProtected: Bool { isBootstrap || deliveredEvents }
    }

    /// The relay to evict so a new one fits, or nil when none may go (a non-bootstrap
    /// newcomer is then not tracked; a bootstrap one is tracked above the cap).
    public static func victim(among tracked: [Relay]) -> RelayURL? {
        tracked.filter { !$0.isProtected && !$0.isConnecting && ($0.hasConnected || $0.failures > 0) }
            .min(by: evictsBefore)?.url
    }

    /// The relays to keep when `relays` are more than `limit` (restoring saved state after the
    /// cap was lowered, or state saved before there was one): protected relays first (all of
    /// them, even above `limit`), then the rest in the reverse of eviction order.
    public static func keep(_ relays: [Relay], limit: Int) -> Set<RelayURL> {
        let protected = relays.filter(\.isProtected)
        let others = relays.filter { !$0.isProtected }.sorted { evictsBefore($1, $0) }
        return Set(protected.map(\.url) + others.prefix(max(0, limit - protected.count)).map(\.url))
    }

    /// Whether `a` goes before `b`: never connected before connected; then more failures,
    /// then longest unseen; the URL breaks ties so the choice is deterministic.
    static func evictsBefore(_ a: Relay, _ b: Relay) -> Bool {
        if a.hasConnected != b.hasConnected { return !a.hasConnected }
        if a.failures != b.failures { return a.failures > b.failures }
        let aSeen = a.lastSeen ?? -.infinity, bSeen = b.lastSeen ?? -.infinity
        if aSeen != bSeen { return aSeen < bSeen }
        return a.url.description < b.url.description
    }
}
