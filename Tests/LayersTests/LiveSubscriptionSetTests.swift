import Nostr
import Testing
@testable import Layers

/// The live set driven alone: every decision's REQs and CLOSEs checked without a relay.
@Suite("LiveSubscriptionSet: live REQs per filter, consolidated by replacement, within the relay's cap")
struct LiveSubscriptionSetTests {
    typealias F = LayersFixtures

    /// Names subscriptions live-1, live-2, ...
    final class Names {
        var next = 0
        func id() -> String {
            next += 1
            return "live-\(next)"
        }
    }

    static func roots(_ n: Int) -> Set<String> {
        Set((0..<n).map { String(format: "%064x", $0) })
    }

    @Test func smallSetsOpenOneREQPerFilterAndNeverTwiceTheSame() {
        var set = LiveSubscriptionSet(limits: .init(consolidationThreshold: 70))
        let names = Names()
        let filters = [Filter(kinds: [30617], limit: 0), Filter(kinds: [1621], limit: 0)]
        let first = set.open(filters, graspServer: false, requestLimits: RequestLimits(), items: { RelaySyncNeeds() }, nextID: names.id)
        #expect(first.open.map(\.id) == ["live-1", "live-2"])
        #expect(first.open.map(\.filters) == [[filters[0]], [filters[1]]])
        #expect(first.close.isEmpty && !set.consolidated)
        let again = set.open(filters, graspServer: false, requestLimits: RequestLimits(), items: { RelaySyncNeeds() }, nextID: names.id)
        #expect(again.isEmpty, "filters already streaming are not opened again")
    }

    @Test func passingTheThresholdReplacesTheSetWithOneRebuiltFromTheItems() {
        var set = LiveSubscriptionSet(limits: .init(consolidationThreshold: 3))
        let names = Names()
        let repos = Dictionary(uniqueKeysWithValues: F.refs(3).map { ($0, SyncLevel.full) })
        let items = RelaySyncNeeds(repos: repos, rootEvents: Self.roots(5))
        let perFilter = SyncFilterBuilder.filters(repos: repos, rootEvents: [], since: nil, live: true, limits: RequestLimits())
        _ = set.open(Array(perFilter.prefix(2)), graspServer: false, requestLimits: RequestLimits(), items: { items }, nextID: names.id)
        let change = set.open(Array(perFilter.dropFirst(2)), graspServer: false, requestLimits: RequestLimits(), items: { items },
                              nextID: names.id)
        #expect(set.consolidated)
        #expect(Set(change.close) == ["live-1", "live-2"], "the old set is closed")
        #expect(!change.closeFirst, "new set first, then the old one closed")
        #expect(change.consolidated?.repos == 3 && change.consolidated?.rootEvents == 5)
        let streamed = Set(set.subscriptions.values.joined())
        for root in Self.roots(5) {
            #expect(streamed.contains { $0.tags["e"]?.contains(root) == true }, "every root event still streams its replies")
        }
    }

    @Test func aForcedConsolidationClosesFirst() {
        var set = LiveSubscriptionSet()
        let names = Names()
        _ = set.open([Filter(kinds: [1], limit: 0)], graspServer: false, requestLimits: RequestLimits(), items: { RelaySyncNeeds() },
                     nextID: names.id)
        let change = set.open([], graspServer: false, force: true, requestLimits: RequestLimits(), items: { RelaySyncNeeds() },
                              nextID: names.id)
        #expect(change.closeFirst && change.close == ["live-1"])
    }

    @Test func aGraspServerGetsOneRelayWideFilter() {
        var set = LiveSubscriptionSet()
        let names = Names()
        let change = set.openBatch(needs: RelaySyncNeeds(repos: [F.ref("r"): .full], rootEvents: Self.roots(300)), generic: false,
                                   graspServer: true, requestLimits: RequestLimits(), items: { RelaySyncNeeds() }, nextID: names.id)
        #expect(change.open.map(\.filters) == [[LiveSubscriptionSet.relayWideFilter]])
    }

    @Test func theCapIsLearnedLoweredOnlyAndLeavesRoomForHistoricRequests() {
        var set = LiveSubscriptionSet(limits: .init(maxSubscriptions: 150, historicRequests: 8))
        #expect(set.budget == 150)
        set.learnSubscriptionCap(from: "ERROR: too many concurrent REQs (max 50)", openNow: 80)
        #expect(set.subscriptionCap == 50 && set.budget == 40)
        set.learnSubscriptionCap(from: "too many subscriptions", openNow: 60)
        #expect(set.subscriptionCap == 50, "a higher figure never raises a learned cap")
        set.learnSubscriptionCap(from: "too many subscriptions", openNow: 20)
        #expect(set.subscriptionCap == 20 && set.budget == 10)
    }

    @Test func refusedFiltersAreKeptHandedOutOnceAndForgottenOnReset() {
        var set = LiveSubscriptionSet()
        let names = Names()
        let filter = Filter(kinds: [1617], limit: 0)
        _ = set.open([filter], graspServer: false, requestLimits: RequestLimits(), items: { RelaySyncNeeds() }, nextID: names.id)
        #expect(set.closed("live-9") == nil, "not ours")
        let filters = set.closed("live-1")
        #expect(filters == [filter])
        set.keepRefused(filters ?? [])
        #expect(set.takeRefused() == [filter] && set.takeRefused().isEmpty)
        set.keepRefused([filter])
        _ = set.reset()
        #expect(set.refused.isEmpty && set.subscriptions.isEmpty && !set.consolidated)
    }

    /// `clear()` is `reset()` without the ids (the engine drops them; see `clear()` on why it
    /// must not build them): the same state is forgotten, the learned cap kept.
    @Test func clearForgetsWhatResetForgetsAndKeepsTheLearnedCap() {
        func prepared() -> LiveSubscriptionSet {
            var set = LiveSubscriptionSet()
            let names = Names()
            let filters = [Filter(kinds: [1617], limit: 0), Filter(kinds: [1621], limit: 0), Filter(kinds: [1630], limit: 0)]
            _ = set.open(filters, graspServer: false, requestLimits: RequestLimits(), items: { RelaySyncNeeds() }, nextID: names.id)
            set.keepRefused([filters[0]])
            set.learnSubscriptionCap(from: "too many subscriptions", openNow: 30)
            return set
        }
        var cleared = prepared()
        var reset = prepared()
        #expect(cleared.subscriptions.count == 3 && !cleared.refused.isEmpty)
        let ids = reset.reset()
        #expect(Set(ids) == Set(prepared().subscriptions.keys))
        cleared.clear()
        #expect(cleared == reset)
        #expect(cleared.subscriptions.isEmpty && !cleared.consolidated && cleared.refused.isEmpty && cleared.subscriptionCap == 30)
    }
}
