import Layers
import Nostr
import Testing

/// (decisions: Three indexes and one diff, Relays from announcements, Resolve root events
/// fully, The desired index shrinks, Never dial yourself, One spelling per relay)
@Suite("RepoSyncIndex")
struct RepoSyncIndexTests {
    typealias F = LayersFixtures

    /// (decisions: Relays from announcements)
    @Test("§3.1: relays come from `relays` tags plus http(s) clone URLs (path dropped); git/ssh ignored")
    func cloneURLDiscovery() {
        var index = RepoSyncIndex()
        let event = F.announcement(d: "grasp", relays: ["wss://relay.one.example"], clone: [
            "https://example.com/npub1x/grasp.git",
            "http://127.0.0.1:41463/npub1x/grasp.git",
            "git://git.example.org/grasp.git",
            "ssh://git@ssh.example.org/grasp.git",
            "git@github.com:x/grasp.git",
        ])
        let applied = index.apply(announcement: event, ownURLs: [])
        #expect(applied)
        let entry = index.repos[F.ref(of: event)]
        #expect(entry?.relays == F.urls("wss://relay.one.example", "wss://example.com", "ws://127.0.0.1:41463"))
        #expect(entry?.level == .full)
        #expect(entry?.rootEvents == [])
    }

    /// (decisions: Never dial yourself, One spelling per relay)
    @Test("own URL excluded by exact normalised comparison, whatever the spelling")
    func ownURLExcludedExactly() {
        var index = RepoSyncIndex()
        let own = F.urls("ws://relay.example.com", "wss://grasp.example.com")
        let event = F.announcement(d: "grasp", relays: [
            "WS://Relay.Example.com:80/",          // own, spelled differently
            "wss://grasp.example.com:443",          // own, default port spelled out
            "wss://relay.example.com",              // different scheme: not own
            "wss://relay.example.com.evil.org",     // contains the own domain: not own (substring test would drop it)
            "wss://other.example.com/grasp.example.com",
        ], clone: ["https://GRASP.example.com/npub1/x.git"]) // clone-derived own URL
        index.apply(announcement: event, ownURLs: own)
        #expect(RelayURL("WS://Relay.Example.com:80/") == RelayURL("ws://relay.example.com"))
        #expect(index.repos[F.ref(of: event)]?.relays == F.urls(
            "wss://relay.example.com", "wss://relay.example.com.evil.org", "wss://other.example.com/grasp.example.com"))
    }

    /// (decisions: Never dial yourself)
    @Test("an announcement listing only the own relay targets nothing")
    func onlyOwnRelay() {
        var index = RepoSyncIndex()
        index.apply(announcement: F.announcement(d: "solo", relays: ["wss://grasp.example.com/"]), ownURLs: [F.own])
        #expect(deriveRelayTargets(index).isEmpty)
        #expect(index.repos.count == 1)
    }

    /// (decisions: The desired index shrinks)
    @Test("a newer announcement replaces the relay set (it shrinks); an older one is ignored")
    func replacementShrinks() {
        var index = RepoSyncIndex()
        let v1 = F.announcement(d: "grasp", relays: ["wss://a.example", "wss://b.example", "wss://c.example"], createdAt: 100)
        let v2 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 200)
        let ref = F.ref(of: v1)
        index.apply(announcement: v1, ownURLs: [])
        let replaced = index.apply(announcement: v2, ownURLs: [])
        #expect(replaced)
        #expect(index.repos[ref]?.relays == F.urls("wss://a.example"))
        #expect(index.announcementID(for: ref) == v2.id)
        // Out-of-order arrival of the old version changes nothing.
        let olderApplied = index.apply(announcement: v1, ownURLs: [])
        #expect(!olderApplied)
        #expect(index.repos[ref]?.relays == F.urls("wss://a.example"))
        // Re-applying the current version changes nothing either.
        let sameApplied = index.apply(announcement: v2, ownURLs: [])
        #expect(!sameApplied)
    }

    @Test("Same created_at: the lower id wins (NIP-01), whatever the order")
    func tieBreakOnID() {
        let x = F.announcement(d: "tie", relays: ["wss://x.example"], createdAt: 500)
        let y = F.announcement(d: "tie", relays: ["wss://y.example"], createdAt: 500)
        let winner = x.id < y.id ? x : y
        var forward = RepoSyncIndex()
        forward.apply(announcement: x, ownURLs: [])
        forward.apply(announcement: y, ownURLs: [])
        var backward = RepoSyncIndex()
        backward.apply(announcement: y, ownURLs: [])
        backward.apply(announcement: x, ownURLs: [])
        #expect(forward == backward)
        #expect(forward.announcementID(for: F.ref(of: x)) == winner.id)
    }

    @Test("Non-announcements and invalid identifiers are ignored")
    func ignoresOtherEvents() {
        var index = RepoSyncIndex()
        let rootApplied = index.apply(announcement: F.rootEvent(tagging: [F.ref("x")]), ownURLs: [])
        #expect(!rootApplied)
        let slashApplied = index.apply(announcement: F.announcement(d: "a/b", relays: ["wss://a.example"]), ownURLs: [])
        #expect(!slashApplied)
        let dotsApplied = index.apply(announcement: F.announcement(d: "..", relays: ["wss://a.example"]), ownURLs: [])
        #expect(!dotsApplied)
        #expect(index.isEmpty)
    }

    /// (decisions: Resolve root events fully)
    @Test("attach puts a root event on every held repo; unknown refs park it until announced")
    func attachAndPark() {
        var index = RepoSyncIndex()
        let one = F.announcement(d: "one", relays: ["wss://a.example"])
        let two = F.announcement(F.bob, d: "two", relays: ["wss://b.example"])
        index.apply(announcement: one, ownURLs: [])
        let root = F.eventID(42)
        let attached = index.attach(rootEvent: root, to: [F.ref(of: two), F.ref(of: one), F.ref(of: one)])
        #expect(attached == [F.ref(of: one)])
        #expect(index.repos[F.ref(of: one)]?.rootEvents == [root])
        #expect(index.unresolvedRootEvents[F.ref(of: two)] == [root])
        index.apply(announcement: two, ownURLs: [])
        #expect(index.repos[F.ref(of: two)]?.rootEvents == [root])
        #expect(index.unresolvedRootEvents.isEmpty)
    }

    /// (decisions: The desired index shrinks)
    @Test("remove drops the repo; a later, newer announcement restores its root events")
    func removeAndReannounce() {
        var index = RepoSyncIndex()
        let v1 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 100)
        let ref = F.ref(of: v1)
        index.apply(announcement: v1, ownURLs: [])
        index.attach(rootEvent: F.eventID(1), to: [ref])
        let removed = index.remove(ref)
        #expect(removed)
        let removedAgain = index.remove(ref)
        #expect(!removedAgain)
        #expect(index.repos[ref] == nil)
        #expect(deriveRelayTargets(index).isEmpty)
        index.apply(announcement: F.announcement(d: "grasp", relays: ["wss://b.example"], createdAt: 300), ownURLs: [])
        #expect(index.repos[ref] == RepoSyncIndex.Entry(relays: F.urls("wss://b.example"), rootEvents: [F.eventID(1)], level: .full))
    }

    @Test("setLevel changes a held repo only; a newer announcement sets full again")
    func setLevel() {
        var index = RepoSyncIndex()
        let v1 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 100)
        let ref = F.ref(of: v1)
        index.setLevel(.stateOnly, for: ref)
        #expect(index.isEmpty)
        index.apply(announcement: v1, ownURLs: [])
        index.setLevel(.stateOnly, for: ref)
        #expect(index.repos[ref]?.level == .stateOnly)
        let sameApplied = index.apply(announcement: v1, ownURLs: [])
        #expect(!sameApplied)
        #expect(index.repos[ref]?.level == .stateOnly)
        let newerApplied = index.apply(announcement: F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 200), ownURLs: [])
        #expect(newerApplied)
        #expect(index.repos[ref]?.level == .full)
    }

    /// (decisions: The desired index shrinks)
    @Test("kind-5 deletion by the owner via `a` or `e` removes; other authors, stale ids and older deletions do not")
    func deletionRules() {
        let v1 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 100)
        let v2 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 200)
        let ref = F.ref(of: v1)
        var index = RepoSyncIndex()
        index.apply(announcement: v1, ownURLs: [])
        index.apply(announcement: v2, ownURLs: [])

        // Someone else naming the coordinate or the id.
        #expect(index.apply(deletion: F.deletion(F.bob, a: [ref.description], e: [v2.id], createdAt: 999)).isEmpty)
        // The owner deleting the replaced version by id.
        #expect(index.apply(deletion: F.deletion(e: [v1.id], createdAt: 999)).isEmpty)
        // The owner deleting by coordinate, but older than the current announcement.
        #expect(index.apply(deletion: F.deletion(a: [ref.description], createdAt: 150)).isEmpty)
        #expect(index.repos[ref] != nil)

        var byA = index
        #expect(byA.apply(deletion: F.deletion(a: [ref.description], createdAt: 250)) == [ref])
        #expect(byA.isEmpty)
        var byE = index
        #expect(byE.apply(deletion: F.deletion(e: [v2.id], createdAt: 250)) == [ref])
        #expect(byE.isEmpty)
    }
}
