import Layers
import Nostr
import Testing

/// Who keeps a place at the tracked-relay cap.
@Suite struct TrackedRelayEvictionTests {
    typealias R = TrackedRelayEviction.Relay
    static func url(_ name: String) -> RelayURL { RelayURL("wss://\(name).example.com")! }

    @Test func bootstrapAndDeliveringRelaysAreNeverEvicted() {
        let tracked = [R(url: Self.url("boot"), isBootstrap: true, failures: 9),
                       R(url: Self.url("real"), deliveredEvents: true, hasConnected: true, lastSeen: 1)]
        #expect(TrackedRelayEviction.victim(among: tracked) == nil)
    }

    @Test func neverConnectedRelaysGoFirstMostFailuresFirst() {
        let tracked = [R(url: Self.url("quiet"), hasConnected: true, lastSeen: 5),
                       R(url: Self.url("junk1"), failures: 2),
                       R(url: Self.url("junk2"), failures: 5),
                       R(url: Self.url("real"), deliveredEvents: true, hasConnected: true)]
        #expect(TrackedRelayEviction.victim(among: tracked) == Self.url("junk2"))
        // Then the connected relay that never delivered anything.
        #expect(TrackedRelayEviction.victim(among: [tracked[0], tracked[3]]) == Self.url("quiet"))
    }

    @Test func untriedAndConnectingRelaysKeepTheirChance() {
        let tracked = [R(url: Self.url("fresh")), R(url: Self.url("dialling"), failures: 3, isConnecting: true)]
        #expect(TrackedRelayEviction.victim(among: tracked) == nil)
    }

    @Test func junkCannotCrowdOutRealRelays() {
        // 8 real relays (bootstrap or delivering) and 2 junk ones at a cap of 10: every
        // newcomer from a junk announcement can only replace junk.
        var tracked = (0..<4).map { R(url: Self.url("boot\($0)"), isBootstrap: true) }
            + (0..<4).map { R(url: Self.url("real\($0)"), deliveredEvents: true, hasConnected: true) }
            + [R(url: Self.url("junk-a"), failures: 1), R(url: Self.url("junk-b"), failures: 1)]
        for n in 0..<50 {
            guard let victim = TrackedRelayEviction.victim(among: tracked) else { break }
            #expect(victim.description.contains("junk"))
            tracked.removeAll { $0.url == victim }
            tracked.append(R(url: Self.url("junk\(n)"), failures: 1))
        }
        #expect(tracked.filter { !$0.url.description.contains("junk") }.count == 8)
    }

    @Test func restoreKeepsProtectedThenMostRecentlySeen() {
        let relays = [R(url: Self.url("boot"), isBootstrap: true),
                      R(url: Self.url("old"), hasConnected: true, lastSeen: 10),
                      R(url: Self.url("recent"), hasConnected: true, lastSeen: 500),
                      R(url: Self.url("never"))]
        #expect(TrackedRelayEviction.keep(relays, limit: 2) == [Self.url("boot"), Self.url("recent")])
        #expect(TrackedRelayEviction.keep(relays, limit: 0) == [Self.url("boot")])
        #expect(TrackedRelayEviction.keep(relays, limit: 10).count == 4)
    }
}
