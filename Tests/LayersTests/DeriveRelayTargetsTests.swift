import Layers
import Nostr
import Testing

/// (decisions: Three indexes and one diff, Ported reference checks)
@Suite("deriveRelayTargets")
struct DeriveRelayTargetsTests {
    typealias F = LayersFixtures

    @Test("§17: a repo on two relays appears on both")
    func repoOnTwoRelays() {
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example", "wss://b.example"])
        var index = RepoSyncIndex()
        index.apply(announcement: repo, ownURLs: [])
        let targets = deriveRelayTargets(index)
        #expect(targets.count == 2)
        #expect(targets[F.url("wss://a.example")]?.repos == [F.ref(of: repo): .full])
        #expect(targets[F.url("wss://b.example")]?.repos == [F.ref(of: repo): .full])
    }

    @Test("§17: root events deduplicated across repos; Layer 3 follows each repo's relays")
    func rootEventsDeduplicated() {
        let one = F.announcement(d: "one", relays: ["wss://shared.example", "wss://a.example"])
        let two = F.announcement(F.bob, d: "two", relays: ["wss://shared.example"])
        var index = RepoSyncIndex()
        index.apply(announcement: one, ownURLs: [])
        index.apply(announcement: two, ownURLs: [])
        let both = F.eventID(1)
        let onlyTwo = F.eventID(2)
        index.attach(rootEvent: both, to: [F.ref(of: one), F.ref(of: two)])
        index.attach(rootEvent: onlyTwo, to: [F.ref(of: two)])
        let targets = deriveRelayTargets(index)
        #expect(targets[F.url("wss://shared.example")] == RelaySyncNeeds(
            repos: [F.ref(of: one): .full, F.ref(of: two): .full], rootEvents: [both, onlyTwo]))
        #expect(targets[F.url("wss://a.example")] == RelaySyncNeeds(repos: [F.ref(of: one): .full], rootEvents: [both]))
        let l3 = SyncFilterBuilder.layer3(rootEvents: Array(targets[F.url("wss://shared.example")]!.rootEvents), since: nil, live: false)
        #expect(l3.count == 3)
        #expect(l3.first?.tags["e"] == [both, onlyTwo].sorted())
    }

    @Test("A stateOnly repo is targeted without its root events (§9.1)")
    func stateOnlyIgnoresRootEvents() {
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example"])
        var index = RepoSyncIndex()
        index.apply(announcement: repo, ownURLs: [])
        index.attach(rootEvent: F.eventID(9), to: [F.ref(of: repo)])
        index.setLevel(.stateOnly, for: F.ref(of: repo))
        #expect(deriveRelayTargets(index) == [F.url("wss://a.example"): RelaySyncNeeds(repos: [F.ref(of: repo): .stateOnly])])
    }

    @Test("Empty index, no targets; repo without relays, no targets")
    func empty() {
        #expect(deriveRelayTargets(RepoSyncIndex()).isEmpty)
        var index = RepoSyncIndex()
        index.apply(announcement: F.announcement(d: "nowhere"), ownURLs: [])
        #expect(index.repos.count == 1)
        #expect(deriveRelayTargets(index).isEmpty)
    }
}
