@testable import App
import Foundation
import Layers
import Nostr
import Relay
import Testing

/// A relay with a subscription cap below the node's live-set budget (this node's own relay
/// allows 50 per connection; the node's default budget is 150): the node learns the cap from
/// the refusal ("... (max N)") and keeps its live set within it, leaving room for historic
/// requests, so no historic batch fails on the cap. Found by the 100,000-event sync benchmark
/// against this node's relay (37 batches failed with "too many open subscriptions (max 50)").
@Suite struct SubscriptionCapTests {
    static let peer = RelayURL("ws://capped.test")!

    @Test(arguments: [true, false])
    func liveSetStaysWithinALearnedCapAndEveryBatchCompletes(negentropy: Bool) async throws {
        // One filter per consolidated REQ: the consolidated live set alone passes the cap.
        let s = try SyncScenario(bootstrap: [Self.peer], disableNegentropy: !negentropy) {
            $0.consolidatedFiltersPerSubscription = 1
            $0.consolidationThreshold = 200
        }
        try s.addPeer(Self.peer, limits: RelayLimits(maxSubscriptions: 16))
        // Three repositories found one after another, each with enough issues that its live
        // filters alone pass the cap.
        var all: [NostrEvent] = []
        for r in 0..<3 {
            let repo = s.announcement("repo\(r)", relays: [Self.peer])
            let issues = (0..<250).map { s.issue(for: repo, $0 + r * 1_000) }
            all += [repo] + issues + issues.prefix(20).map { s.comment(on: $0) }
        }
        s.publish(all, on: Self.peer)
        await s.start()
        let settled = await s.run(upTo: 600) {
            let status = await s.status(Self.peer)
            return status == .connected || status == .connectedHistoricSyncFailures
        }
        #expect(settled)
        #expect(await s.status(Self.peer) == .connected, "a historic batch failed")
        for e in all { #expect(s.has(e), "kind \(e.kind) missing") }
        // Within the cap, with room for the 8 historic requests and 2 more.
        #expect(await s.coordinator.liveSubscriptionCount(Self.peer) <= 16 - 8 - 2)
    }

    @Test(arguments: [
        ("blocked: too many open subscriptions (max 50)", 50),
        ("ERROR: too many concurrent REQs", nil),
        ("rate-limited: subscription limit reached, max: 20", 20),
        ("blocked: maximum number of subscriptions 300 reached", 300),
    ] as [(String, Int?)])
    func theCapNamedInARefusal(_ text: String, _ expected: Int?) {
        #expect(LiveSubscriptionSet.namedMaximum(in: text) == expected)
    }
}
