import Layers
import Nostr
import Testing

@Suite("SubscriptionConsolidator (reference §5.7)")
struct SubscriptionConsolidatorTests {
    typealias F = LayersFixtures

    @Test("Threshold 70: consolidate when current + new > 70")
    func threshold() {
        #expect(SubscriptionConsolidator.threshold == 70)
        #expect(!SubscriptionConsolidator.needsConsolidation(current: 63, adding: 7))
        #expect(SubscriptionConsolidator.needsConsolidation(current: 64, adding: 7))
    }

    @Test("1 full repo + 1 root: L1, state, #a, #A, #e, #E and one merged #q, all live")
    func smallSet() {
        let ref = F.ref("grasp")
        let root = F.eventID(1)
        let filters = SubscriptionConsolidator.consolidate(repos: [ref: .full], rootEvents: [root], since: 1_699_999_100)
        #expect(filters.map(\.jsonText) == [
            ##"{"kinds":[30617,10317],"since":1699999100,"limit":0}"##,
            ##"{"kinds":[30618],"#d":["grasp"],"since":1699999100,"limit":0}"##,
            ##"{"#a":["\##(ref)"],"since":1699999100,"limit":0}"##,
            ##"{"#A":["\##(ref)"],"since":1699999100,"limit":0}"##,
            ##"{"#e":["\##(root)"],"since":1699999100,"limit":0}"##,
            ##"{"#E":["\##(root)"],"since":1699999100,"limit":0}"##,
            ##"{"#q":["\##(root)","\##(ref)"],"since":1699999100,"limit":0}"##,
        ])
        #expect(SubscriptionConsolidator.subscriptionCount(for: RelaySyncNeeds(repos: [ref: .full], rootEvents: [root])) == 7)
    }

    @Test("W17: stateOnly repos get state filters only in the consolidated set")
    func stateOnlyNoLayer2() {
        let filters = SubscriptionConsolidator.consolidate(repos: [F.ref("pending"): .stateOnly], rootEvents: [], since: nil)
        #expect(filters.count == 2)
        #expect(filters.last?.tags["d"] == ["pending"])
        #expect(!filters.contains { $0.tags["a"] != nil || $0.tags["q"] != nil })
    }

    @Test("Consolidated set covers exactly what the per-action filters cover, with fewer filters")
    func coversEverything() {
        let repos = Dictionary(uniqueKeysWithValues: F.refs(120).enumerated().map { ($1, $0 % 2 == 0 ? SyncLevel.stateOnly : .full) })
        let roots = Set((0..<30).map(F.eventID))
        let consolidated = SubscriptionConsolidator.consolidate(repos: repos, rootEvents: roots, since: nil)
        let perLayer = SyncFilterBuilder.layer1(since: nil, live: true)
            + SyncFilterBuilder.filters(repos: repos, rootEvents: roots, since: nil, live: true)
        #expect(consolidated.count == SubscriptionConsolidator.subscriptionCount(for: RelaySyncNeeds(repos: repos, rootEvents: roots)))
        #expect(consolidated.count == 8) // 1 + 2 state + 2 (#a,#A) + 2 (#e,#E) + 1 merged #q (60 + 30 values)
        #expect(perLayer.count == 9)
        #expect(consolidated.allSatisfy { $0.limit == 0 })
        // Same (tag name, value) pairs and state identifiers.
        func pairs(_ filters: [Filter]) -> Set<String> {
            Set(filters.flatMap { f in f.tags.flatMap { name, values in values.map { "\(f.kinds ?? [])#\(name)=\($0)" } } })
        }
        #expect(pairs(consolidated) == pairs(perLayer))
        #expect(consolidated.allSatisfy { $0.tags.values.allSatisfy { $0.count <= SyncFilterBuilder.chunkSize } })
    }
}
