import Layers
import Nostr
import Testing

/// (decisions: Filter layers, Ported reference checks)
@Suite("Filter builders")
struct SyncFilterBuilderTests {
    typealias F = LayersFixtures

    @Test("§17: 1 repo gives 3 Layer-2 filters #a, #A, #q with the coordinate")
    func layer2OneRepo() {
        let ref = F.ref("grasp")
        let filters = SyncFilterBuilder.layer2(repos: [ref], since: nil, live: false)
        #expect(filters.count == 3)
        #expect(filters.map { $0.tags.keys.sorted() } == [["a"], ["A"], ["q"]])
        for filter in filters {
            #expect(filter.tags.values.first == [ref.description])
            #expect(filter.kinds == nil)
            #expect(filter.authors == nil)
        }
        #expect(ref.description.hasPrefix("30617:" + String(repeating: "c", count: 64) + ":"))
    }

    @Test("§17: 250 repos give 9 Layer-2 filters, chunks of 100, 100, 50")
    func layer2TwoHundredFifty() {
        let filters = SyncFilterBuilder.layer2(repos: F.refs(250), since: nil, live: false)
        #expect(filters.count == 9)
        #expect(filters.map { $0.tags.values.first!.count } == [100, 100, 100, 100, 100, 100, 50, 50, 50])
        let covered = Set(filters.filter { $0.tags["a"] != nil }.flatMap { $0.tags["a"]! })
        #expect(covered == Set(F.refs(250).map(\.description)))
    }

    @Test("§17: 250 repos give 3 state filters (kinds 30618, #d)")
    func stateTwoHundredFifty() {
        let filters = SyncFilterBuilder.state(repos: F.refs(250), since: nil, live: false)
        #expect(filters.count == 3)
        #expect(filters.map { $0.tags["d"]!.count } == [100, 100, 50])
        #expect(filters.allSatisfy { $0.kinds == [NIP34.repoState] && $0.tags.keys.sorted() == ["d"] })
    }

    @Test("§17: 3 owners with one identifier give 1 state filter with that identifier once")
    func stateDeduplicatesIdentifiers() {
        let refs = [F.ref("shared", owner: "a"), F.ref("shared", owner: "b"), F.ref("shared", owner: "c")]
        let filters = SyncFilterBuilder.state(repos: refs, since: nil, live: false)
        #expect(filters.count == 1)
        #expect(filters.first?.tags["d"] == ["shared"])
    }

    @Test("§17/§5.5: 1 repo + 1 root gives 7 filters; 1 repo only 4; 1 root only 3")
    func compositionCounts() {
        let ref = F.ref("grasp")
        let root = F.eventID(1)
        let both = SyncFilterBuilder.filters(repos: [ref: .full], rootEvents: [root], since: nil, live: false)
        #expect(both.count == 7)
        #expect(both.map { $0.tags.keys.sorted() } == [["d"], ["a"], ["A"], ["q"], ["e"], ["E"], ["q"]])
        #expect(both.last?.tags["q"] == [root])
        #expect(SyncFilterBuilder.filters(repos: [ref: .full], rootEvents: [], since: nil, live: false).count == 4)
        #expect(SyncFilterBuilder.filters(repos: [:], rootEvents: [root], since: nil, live: false).count == 3)
        #expect(SyncFilterBuilder.filters(repos: [:], rootEvents: [], since: nil, live: false).isEmpty)
    }

    /// (decisions: Sync level per item)
    @Test("a stateOnly repo gets only its state filter, no Layer 2")
    func stateOnlyGetsStateFilterOnly() {
        let filters = SyncFilterBuilder.filters(repos: [F.ref("pending"): .stateOnly, F.ref("full"): .full],
                                                rootEvents: [], since: nil, live: false)
        #expect(filters.count == 4)
        #expect(filters.first?.tags["d"] == ["full", "pending"])
        #expect(filters.dropFirst().allSatisfy { $0.tags.values.first == [F.ref("full").description] })
    }

    @Test("Layer 3: 3 filters per 100 root ids, duplicates removed")
    func layer3Chunks() {
        let ids = (0..<150).map(F.eventID) + [F.eventID(0)]
        let filters = SyncFilterBuilder.layer3(rootEvents: ids, since: nil, live: false)
        #expect(filters.count == 6)
        #expect(filters.map { $0.tags.keys.first! } == ["e", "E", "q", "e", "E", "q"])
        #expect(filters.map { $0.tags.values.first!.count } == [100, 100, 100, 50, 50, 50])
    }

    @Test("Layer 1 is kinds [30617, 10317] with nothing else")
    func layer1() {
        #expect(SyncFilterBuilder.layer1(since: nil, live: false).map(\.jsonText) == [##"{"kinds":[30617,10317]}"##])
        #expect(SyncFilterBuilder.layer1(since: nil, live: true).map(\.jsonText) == [##"{"kinds":[30617,10317],"limit":0}"##])
        #expect(SyncFilterBuilder.layer1(since: 1_700_000_000, live: false).map(\.jsonText)
            == [##"{"kinds":[30617,10317],"since":1700000000}"##])
    }

    @Test("JSON shapes: live has limit 0, historic has no limit, since set when given")
    func jsonShapes() {
        let ref = F.ref("grasp")
        let root = F.eventID(7)
        let historic = SyncFilterBuilder.filters(repos: [ref: .full], rootEvents: [root], since: 1_700_000_000, live: false)
        let live = SyncFilterBuilder.filters(repos: [ref: .full], rootEvents: [root], since: nil, live: true)
        #expect(historic.map(\.jsonText) == [
            ##"{"kinds":[30618],"#d":["grasp"],"since":1700000000}"##,
            ##"{"#a":["\##(ref)"],"since":1700000000}"##,
            ##"{"#A":["\##(ref)"],"since":1700000000}"##,
            ##"{"#q":["\##(ref)"],"since":1700000000}"##,
            ##"{"#e":["\##(root)"],"since":1700000000}"##,
            ##"{"#E":["\##(root)"],"since":1700000000}"##,
            ##"{"#q":["\##(root)"],"since":1700000000}"##,
        ])
        #expect(live.map(\.jsonText) == [
            ##"{"kinds":[30618],"#d":["grasp"],"limit":0}"##,
            ##"{"#a":["\##(ref)"],"limit":0}"##,
            ##"{"#A":["\##(ref)"],"limit":0}"##,
            ##"{"#q":["\##(ref)"],"limit":0}"##,
            ##"{"#e":["\##(root)"],"limit":0}"##,
            ##"{"#E":["\##(root)"],"limit":0}"##,
            ##"{"#q":["\##(root)"],"limit":0}"##,
        ])
        #expect(historic.allSatisfy { $0.limit == nil && $0.since == 1_700_000_000 })
        #expect(live.allSatisfy { $0.limit == 0 && $0.since == nil })
    }

    @Test("Output is deterministic: input order does not matter, values sorted")
    func deterministic() {
        let refs = F.refs(120)
        let forward = SyncFilterBuilder.layer2(repos: refs, since: nil, live: true)
        let backward = SyncFilterBuilder.layer2(repos: refs.reversed() + refs, since: nil, live: true)
        #expect(forward == backward)
        #expect(forward.first?.tags["a"] == Array(refs.map(\.description).sorted().prefix(100)))
        let states = SyncFilterBuilder.state(repos: [F.ref("zeta"), F.ref("alpha"), F.ref("mid")], since: nil, live: false)
        #expect(states.first?.tags["d"] == ["alpha", "mid", "zeta"])
    }

    @Test("Filters built for a repo match the events GRASP-02 expects to sync (a, A, q; e, E, q)")
    func filtersMatchTagVariants() {
        let repo = LayersFixtures.ref(of: F.announcement(d: "grasp"))
        let key = F.bob
        let viaA = key.sign(kind: NIP34.issue, tags: [["a", repo.description]], content: "1", createdAt: 1)
        let viaUpperA = key.sign(kind: 1111, tags: [["A", repo.description]], content: "2", createdAt: 1)
        let viaQ = key.sign(kind: 1, tags: [["q", repo.description]], content: "3", createdAt: 1)
        let reply = key.sign(kind: 1, tags: [["e", viaA.id, "", "root"]], content: "4", createdAt: 1)
        let comment = key.sign(kind: 1111, tags: [["E", viaA.id]], content: "5", createdAt: 1)
        let quote = key.sign(kind: 1, tags: [["q", viaA.id]], content: "6", createdAt: 1)
        let unrelated = key.sign(kind: 1, tags: [["a", F.ref("other").description]], content: "7", createdAt: 1)
        let state = F.alice.sign(kind: NIP34.repoState, tags: [["d", "grasp"]], content: "", createdAt: 1)
        let filters = SyncFilterBuilder.filters(repos: [repo: .full], rootEvents: [viaA.id], since: nil, live: false)
        for event in [viaA, viaUpperA, viaQ, reply, comment, quote, state] {
            #expect(filters.contains { $0.matches(event) }, "kind \(event.kind) \(event.tags)")
        }
        #expect(!filters.contains { $0.matches(unrelated) })
    }
}
