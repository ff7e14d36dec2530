import Nostr
import Testing
@testable import Layers

@Suite("SyncFilterBuilder: request-sized NIP-77 filters and the consolidated live set")
struct SyncFilterBuilderConsolidationTests {
    private func ids(_ n: Int) -> [String] {
        (0..<n).map { i in String(String(repeating: "0", count: 64) + String(i, radix: 16)).suffix(64) }.map(String.init)
    }

    private func levels(full: Int, stateOnly: Int) -> [RepoRef: SyncLevel] {
        let owner = String(repeating: "ab", count: 32)
        var levels: [RepoRef: SyncLevel] = [:]
        for i in 0..<full { levels[RepoRef(kind: 30617, pubkey: owner, identifier: "repository-number-\(i)")] = .full }
        for i in 0..<stateOnly { levels[RepoRef(kind: 30617, pubkey: owner, identifier: "s\(i)")] = .stateOnly }
        return levels
    }

    /// Every value each tag name carries, across filters.
    private func values(_ filters: [Filter]) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for f in filters { for (name, v) in f.tags { out[name, default: []].formUnion(v) } }
        return out
    }

    /// 1,000 repo coordinates (~82,000 bytes) were one `#a` filter that strfry refuses
    /// ("total filter items too large"); now every filter stays within strfry's limits, for
    /// any mix of levels and counts, and carries exactly the reference filters' values.
    @Test(arguments: [
        (full: 0, stateOnly: 0, roots: 0), (full: 0, stateOnly: 0, roots: 1), (full: 1, stateOnly: 0, roots: 0),
        (full: 0, stateOnly: 3, roots: 250), (full: 250, stateOnly: 40, roots: 2_345), (full: 1_000, stateOnly: 0, roots: 500),
        (full: 5_000, stateOnly: 0, roots: 20_000),
    ])
    func negentropyFiltersFitStrfryAndCoverTheReferenceFilters(full: Int, stateOnly: Int, roots: Int) {
        let levels = levels(full: full, stateOnly: stateOnly)
        let rootEvents = Set(ids(roots))
        let limits = RequestLimits()
        let sized = SyncFilterBuilder.negentropyFilters(repos: levels, rootEvents: rootEvents, since: 5, limits: limits)
        for f in sized {
            #expect(limits.admits(f))
            #expect(f.largestValueListCost <= 60_000)
            #expect(f.jsonText.utf8.count + RequestLimits.messageReserve <= 131_072)
            #expect(f.since == 5)
        }
        let reference = SyncFilterBuilder.filters(repos: levels, rootEvents: rootEvents, since: 5, live: false)
        #expect(values(Array(sized)) == values(reference))
        // Far fewer sessions than reference-sized filters.
        if roots >= 2_000 { #expect(sized.count * 5 < reference.count) }
    }

    /// Grouped by tag name, so overlapping `#e`/`#E` filters are reconciled apart.
    @Test func negentropyFiltersAreGroupedByTagName() {
        let sized = SyncFilterBuilder.negentropyFilters(repos: [:], rootEvents: Set(ids(5_000)), since: nil)
        let names = sized.map { $0.tags.keys.first! }
        #expect(names == names.sorted { ["e": 0, "E": 1, "q": 2][$0]! < ["e": 0, "E": 1, "q": 2][$1]! })
        #expect(Set(names) == ["e", "E", "q"])
    }

    /// A smaller learned limit gives smaller filters.
    @Test func learnedLimitsShrinkTheFilters() {
        let roots = Set(ids(3_000))
        let small = RequestLimits().shrunk(belowRefused: 20_000)
        #expect(small.maxTagValueBytes == 10_000)
        let filters = SyncFilterBuilder.negentropyFilters(repos: [:], rootEvents: roots, since: nil, limits: small)
        #expect(filters.allSatisfy { $0.largestValueListCost <= 10_000 })
        #expect(RequestLimits().shrunk(belowRefused: 100).maxTagValueBytes == RequestLimits.minimumTagValueBytes)
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

    /// Packing never puts more into one REQ than one message may hold or than 200 filters.
    @Test func packingStaysWithinOneMessage() {
        let big = SyncFilterBuilder.packedLiveFilters(repos: [:], rootEvents: Set(ids(10_000)), limits: RequestLimits())
        let packed = SyncFilterBuilder.pack(big, perSubscription: 10)
        for group in packed {
            let bytes = group.reduce(0) { $0 + $1.jsonText.utf8.count + 1 }
            #expect(bytes <= RequestLimits().maxFilterJSONBytes)
        }
        let many = (0..<500).map { Filter(kinds: [$0], limit: 0) }
        #expect(SyncFilterBuilder.pack(many, perSubscription: 1_000).allSatisfy { $0.count <= 200 })
    }

    /// The exact consolidated set carries every item the per-filter set carries; over the
    /// subscription budget Layer 3 becomes the reply-kinds filter.
    @Test func consolidatedSetIsExactWithinTheBudget() {
        let levels = levels(full: 300, stateOnly: 10)
        let roots = Set(ids(4_000))
        let (groups, approximate) = SyncFilterBuilder.consolidatedLiveFilters(
            repos: levels, rootEvents: roots, limits: RequestLimits(), maxSubscriptions: 150, perSubscription: 10)
        #expect(!approximate)
        let all = Array(groups.joined())
        #expect(all.allSatisfy { $0.limit == 0 })
        let perFilter = SyncFilterBuilder.layer1(since: nil, live: true)
            + SyncFilterBuilder.filters(repos: levels, rootEvents: roots, since: nil, live: true)
        #expect(values(all) == values(perFilter))
        #expect(groups.count < perFilter.count / 10)

        let (few, approx) = SyncFilterBuilder.consolidatedLiveFilters(
            repos: levels, rootEvents: roots, limits: RequestLimits(), maxSubscriptions: 3, perSubscription: 10)
        #expect(approx)
        #expect(!few.joined().contains(where: SyncFilterBuilder.isLayer3))
        #expect(few.joined().contains(SyncFilterBuilder.rootEventRepliesLive()))
    }
}
