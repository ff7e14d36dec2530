import Nostr
import Testing
@testable import Layers

@Suite("SyncFilterBuilder: consolidated live set and NIP-77 coalescing")
struct SyncFilterBuilderConsolidationTests {
    private func ids(_ n: Int, _ tag: String = "e") -> [String] {
        (0..<n).map { i in String(repeating: "0", count: 64 - String(i, radix: 16).count) + String(i, radix: 16) + "" }
            .map { String($0.suffix(64)) }
    }

    @Test func coalescingMergesLayer3ChunksUpToTheLimitAndKeepsOthers() {
        let roots = ids(2_500)
        let layer1 = SyncFilterBuilder.layer1(since: nil, live: false)
        let layer3 = SyncFilterBuilder.layer3(rootEvents: roots, since: nil, live: false)
        #expect(layer3.count == 75)  // 25 chunks of 100, three tags each
        let merged = SyncFilterBuilder.coalesced(layer1 + layer3, maxValues: 1_000)
        #expect(merged.first == layer1[0])
        // Per tag: 1,000 + 1,000 + 500 values.
        #expect(merged.count == 1 + 3 * 3)
        // Grouped by tag name, so overlapping #e/#E chunks are reconciled apart.
        #expect(merged.dropFirst().map { $0.tags.keys.first! } == ["e", "e", "e", "E", "E", "E", "q", "q", "q"])
        for name in ["e", "E", "q"] {
            let forName = merged.filter { $0.tags.keys.first == name }
            #expect(forName.map { $0.tags[name]!.count } == [1_000, 1_000, 500])
            #expect(Set(forName.flatMap { $0.tags[name]! }) == Set(roots))
        }
    }

    @Test func coalescingKeepsSinceAndKindsApart() {
        let a = Filter(kinds: [30618], tags: ["d": ["x"]])
        let b = Filter(kinds: [30618], tags: ["d": ["y"]], since: 5)
        let c = Filter(kinds: [30618], tags: ["d": ["z"]])
        let merged = SyncFilterBuilder.coalesced([a, b, c])
        #expect(merged.count == 2)
        #expect(merged.contains(Filter(kinds: [30618], tags: ["d": ["x", "z"]])))
        #expect(merged.contains(b))
    }

    @Test func layer3FiltersAreRecognisedAndPackingKeepsOrder() {
        let l3 = SyncFilterBuilder.layer3(rootEvents: ids(3), since: nil, live: true)
        #expect(l3.allSatisfy(SyncFilterBuilder.isLayer3))
        let l2 = SyncFilterBuilder.layer2(repos: [RepoRef("30617:\(String(repeating: "a", count: 64)):r")!], since: nil, live: true)
        #expect(!l2.contains(where: SyncFilterBuilder.isLayer3))
        #expect(!SyncFilterBuilder.isLayer3(SyncFilterBuilder.rootEventRepliesLive()))
        let packed = SyncFilterBuilder.pack(l2 + l3, perSubscription: 4)
        #expect(packed.map(\.count) == [4, 2])
        #expect(Array(packed.joined()) == l2 + l3)
    }

    /// `negentropyFilters` is `coalesced(filters(...))` built directly, for any mix of levels,
    /// counts across chunk boundaries, `since` and chunk sizes.
    @Test(arguments: [
        (repos: 0, stateOnly: 0, roots: 0), (repos: 0, stateOnly: 0, roots: 1), (repos: 1, stateOnly: 0, roots: 0),
        (repos: 0, stateOnly: 3, roots: 0), (repos: 0, stateOnly: 3, roots: 250), (repos: 250, stateOnly: 40, roots: 2_345),
        (repos: 1_001, stateOnly: 0, roots: 999),
    ])
    func negentropyFiltersEqualCoalescedReferenceFilters(repos: Int, stateOnly: Int, roots: Int) {
        let owner = String(repeating: "ab", count: 32)
        var levels: [RepoRef: SyncLevel] = [:]
        for i in 0..<repos { levels[RepoRef(kind: 30617, pubkey: owner, identifier: "r\(i)")] = .full }
        for i in 0..<stateOnly { levels[RepoRef(kind: 30617, pubkey: owner, identifier: "s\(i % 2 == 0 ? i : 0)")] = .stateOnly }
        let rootEvents = Set(ids(roots))
        for since in [nil, Int64(1_700_000_000)] as [Int64?] {
            for maxValues in [1_000, 7] {
                let reference = SyncFilterBuilder.coalesced(
                    SyncFilterBuilder.filters(repos: levels, rootEvents: rootEvents, since: since, live: false), maxValues: maxValues)
                let direct = SyncFilterBuilder.negentropyFilters(repos: levels, rootEvents: rootEvents, since: since, maxValues: maxValues)
                #expect(direct == reference, "repos \(repos), stateOnly \(stateOnly), roots \(roots), since \(String(describing: since)), max \(maxValues)")
            }
        }
    }
}
