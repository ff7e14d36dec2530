@testable import Layers
import Nostr
import Testing

/// `RepoSyncIndex.relayTargets` is maintained incrementally; `deriveRelayTargets` stays the
/// reference it must equal after every mutation (decisions: Three indexes and one diff, The
/// desired index shrinks, Sync level per item).
@Suite("RepoSyncIndex.relayTargets (incremental deriveRelayTargets)")
struct RepoSyncIndexTargetsTests {
    typealias F = LayersFixtures

    @Test("A root shared by two repos on one relay stays until the last of them is removed")
    func sharedRootSurvivesRemoval() {
        var index = RepoSyncIndex()
        let one = F.announcement(d: "one", relays: ["wss://shared.example", "wss://a.example"])
        let two = F.announcement(F.bob, d: "two", relays: ["wss://shared.example"])
        index.apply(announcement: one, ownURLs: [])
        index.apply(announcement: two, ownURLs: [])
        let root = F.eventID(1)
        index.attach(rootEvent: root, to: [F.ref(of: one), F.ref(of: two)])
        #expect(index.relayTargets == deriveRelayTargets(index))

        let removed = index.apply(deletion: F.deletion(a: [F.ref(of: one).description]))
        #expect(removed == [F.ref(of: one)])
        #expect(index.relayTargets == [
            F.url("wss://shared.example"): RelaySyncNeeds(repos: [F.ref(of: two): .full], rootEvents: [root]),
        ])
        #expect(index.relayTargets == deriveRelayTargets(index))

        index.apply(deletion: F.deletion(F.bob, e: [two.id]))
        #expect(index.relayTargets.isEmpty)
        #expect(index.relayTargets == deriveRelayTargets(index))
    }

    @Test("A newer announcement with fewer relays takes the repo and its roots off the dropped relays only")
    func relaySetShrinks() {
        var index = RepoSyncIndex()
        let v1 = F.announcement(d: "grasp", relays: ["wss://a.example", "wss://b.example"], createdAt: 100)
        let v2 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 200)
        let other = F.announcement(F.bob, d: "other", relays: ["wss://b.example"])
        index.apply(announcement: v1, ownURLs: [])
        index.apply(announcement: other, ownURLs: [])
        index.attach(rootEvent: F.eventID(1), to: [F.ref(of: v1)])
        index.attach(rootEvent: F.eventID(2), to: [F.ref(of: v1), F.ref(of: other)])
        index.apply(announcement: v2, ownURLs: [])
        #expect(index.relayTargets == [
            F.url("wss://a.example"): RelaySyncNeeds(repos: [F.ref(of: v1): .full], rootEvents: [F.eventID(1), F.eventID(2)]),
            F.url("wss://b.example"): RelaySyncNeeds(repos: [F.ref(of: other): .full], rootEvents: [F.eventID(2)]),
        ])
        #expect(index.relayTargets == deriveRelayTargets(index))
    }

    @Test("Dropping to stateOnly withdraws the repo's roots (not those another full repo brings); back to full restores them")
    func levelDropAndRestore() {
        var index = RepoSyncIndex()
        let one = F.announcement(d: "one", relays: ["wss://a.example"])
        let two = F.announcement(F.bob, d: "two", relays: ["wss://a.example"])
        index.apply(announcement: one, ownURLs: [])
        index.apply(announcement: two, ownURLs: [])
        index.attach(rootEvent: F.eventID(1), to: [F.ref(of: one)])
        index.attach(rootEvent: F.eventID(2), to: [F.ref(of: one), F.ref(of: two)])
        let full = index.relayTargets

        index.setLevel(.stateOnly, for: F.ref(of: one))
        #expect(index.relayTargets == [F.url("wss://a.example"): RelaySyncNeeds(
            repos: [F.ref(of: one): .stateOnly, F.ref(of: two): .full], rootEvents: [F.eventID(2)])])
        #expect(index.relayTargets == deriveRelayTargets(index))

        index.setLevel(.full, for: F.ref(of: one))
        #expect(index.relayTargets == full)
        #expect(index.relayTargets == deriveRelayTargets(index))
    }

    @Test("A removed repo's roots are parked and come back with a newer announcement")
    func parkedRootsReturn() {
        var index = RepoSyncIndex()
        let v1 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 100)
        index.attach(rootEvent: F.eventID(1), to: [F.ref(of: v1)])  // before the announcement
        index.apply(announcement: v1, ownURLs: [])
        #expect(index.relayTargets[F.url("wss://a.example")]?.rootEvents == [F.eventID(1)])
        index.remove(F.ref(of: v1))
        #expect(index.relayTargets.isEmpty)
        index.apply(announcement: F.announcement(d: "grasp", relays: ["wss://b.example"], createdAt: 200), ownURLs: [])
        #expect(index.relayTargets == [F.url("wss://b.example"): RelaySyncNeeds(
            repos: [F.ref(of: v1): .full], rootEvents: [F.eventID(1)])])
        #expect(index.relayTargets == deriveRelayTargets(index))
    }

    /// A long seeded random sequence of every mutation, checked against the reference after
    /// each step. Choices are drawn from arrays (never from a `Set`'s order), so a seed always
    /// replays the same sequence.
    @Test("Random operation sequences: relayTargets == deriveRelayTargets after every step", arguments: [1, 2, 3, 4] as [UInt64])
    func randomSequences(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let keys = [F.alice, F.bob]
        // "r3" is never announced: roots attached to it stay parked.
        let identifiers = ["r0", "r1", "r2", "r3"]
        let refs = keys.flatMap { key in identifiers.map { RepoRef(pubkey: key.publicKey, identifier: $0) } }
        let relayPool = (0..<5).map { "wss://relay\($0).example" }
        var index = RepoSyncIndex()
        var announcementIDs: [String] = []
        var coverage = (sharedRoots: 0, rootsWithdrawn: 0, stateOnlyWithRoots: 0, relaysDropped: 0)

        func announcement() -> NostrEvent {
            let key = keys.randomElement(using: &random)!
            let d = identifiers[Int.random(in: 0..<3, using: &random)]
            let relays = relayPool.filter { _ in Int.random(in: 0..<3, using: &random) == 0 }
            let clone = Bool.random(using: &random) ? [] : ["https://relay\(Int.random(in: 0..<5, using: &random)).example/x.git"]
            let event = F.announcement(key, d: d, relays: relays, clone: clone,
                                       createdAt: Int64.random(in: 100...110, using: &random))
            announcementIDs.append(event.id)
            return event
        }
        func deletion() -> NostrEvent {
            let key = keys.randomElement(using: &random)!
            let createdAt = Int64.random(in: 100...112, using: &random)
            if Bool.random(using: &random) || announcementIDs.isEmpty {
                return F.deletion(key, a: [refs.randomElement(using: &random)!.description], createdAt: createdAt)
            }
            return F.deletion(key, e: [announcementIDs.randomElement(using: &random)!], createdAt: createdAt)
        }
        func someRefs() -> [RepoRef] {
            (0..<Int.random(in: 1...3, using: &random)).map { _ in refs.randomElement(using: &random)! }
        }

        for step in 0..<600 {
            let before = index.relayTargets
            let ownURLs: Set<RelayURL> = Int.random(in: 0..<5, using: &random) == 0 ? [RelayURL(relayPool[0])!] : []
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<28: index.apply(announcement: announcement(), ownURLs: ownURLs)
            case 28..<55: index.attach(rootEvent: F.eventID(Int.random(in: 1...40, using: &random)), to: someRefs())
            case 55..<68: index.apply(deletion: deletion())
            case 68..<85:
                index.setLevel(Bool.random(using: &random) ? .full : .stateOnly, for: refs.randomElement(using: &random)!)
            case 85..<90: index.remove(refs.randomElement(using: &random)!)
            default:
                // The self-subscriber's path: announcements, then root events, then deletions.
                var events: [NostrEvent] = []
                for _ in 0..<Int.random(in: 2...4, using: &random) {
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: events.append(announcement())
                    case 1: events.append(F.rootEvent(tagging: someRefs(), content: "issue \(step)"))
                    default: events.append(deletion())
                    }
                }
                _ = SelfSubscriberBatch.apply(events, to: &index, ownURLs: ownURLs)
            }
            // Stops at the first divergence: every later step would only repeat it.
            let expected = deriveRelayTargets(index)
            guard index.relayTargets == expected else {
                Issue.record("seed \(seed), step \(step): relayTargets \(index.relayTargets), derived \(expected)")
                return
            }
            // The per-author map the relay limit reads is the grouping of the held repos.
            let byAuthor = Dictionary(grouping: index.repos.keys, by: \.pubkey).mapValues { Set($0) }
            guard index.refsByAuthor == byAuthor else {
                Issue.record("seed \(seed), step \(step): refsByAuthor \(index.refsByAuthor), held \(byAuthor)")
                return
            }

            // What the sequence exercised, so a generator that stops reaching the hard cases fails.
            let held = index.repos.values
            if held.contains(where: { entry in
                entry.level == .full && held.contains { other in
                    other != entry && other.level == .full && !other.relays.isDisjoint(with: entry.relays)
                        && !other.rootEvents.isDisjoint(with: entry.rootEvents)
                }
            }) { coverage.sharedRoots += 1 }
            if before.contains(where: { relay, needs in
                !needs.rootEvents.isSubset(of: index.relayTargets[relay]?.rootEvents ?? [])
            }) { coverage.rootsWithdrawn += 1 }
            if held.contains(where: { $0.level == .stateOnly && !$0.rootEvents.isEmpty && !$0.relays.isEmpty }) {
                coverage.stateOnlyWithRoots += 1
            }
            if !Set(before.keys).isSubset(of: index.relayTargets.keys) { coverage.relaysDropped += 1 }
        }
        #expect(coverage.sharedRoots > 0)
        #expect(coverage.rootsWithdrawn > 0)
        #expect(coverage.stateOnlyWithRoots > 0)
        #expect(coverage.relaysDropped > 0)
    }
}
