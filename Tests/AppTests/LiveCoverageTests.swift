import Layers
import App
import Foundation
import Nostr
import Relay
import Testing

/// The consolidated live set receives every event the per-filter live set would (issue
/// "field-proof sync", item 4; reference checklist V4/V6): the same live corpus replayed
/// against a node that never consolidates and one that consolidates at once ends with the
/// same accepted events.
@Suite struct LiveCoverageTests {
    static let peer = RelayURL("ws://peer.test")!

    /// What a node accepted of a live corpus, by label (event content), and how its live set ended.
    struct Run {
        var accepted: Set<String>
        var consolidated: Bool
        var approximate: Bool
    }

    /// Labels of the corpus events that reference the synced repository or its root events.
    static let related: Set<String> = [
        "note replying to the issue", "reaction to the issue", "note quoting the patch", "comment on the patch",
        "status of the patch", "article quoting the issue", "note quoting the repo", "new issue", "repost of the patch",
    ]

    func replay(configure: @escaping (inout SyncConfiguration) -> Void) async throws -> Run {
        let s = try SyncScenario(bootstrap: [Self.peer], configure: configure)
        try s.addPeer(Self.peer, limits: RelayLimits(maxSubscriptions: 500, maxFilters: 200))
        let repo = s.announcement(relays: [Self.peer])
        let issue = s.issue(for: repo)
        let patch = SyncScenario.contributor.sign(kind: 1617, tags: [["a", "30617:\(repo.pubkey):\(repo.dTag)"], ["t", "root"]],
                                                  content: "patch", createdAt: s.now - 2_500)
        s.publish([repo, issue, patch], on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        #expect(s.has(patch) && s.has(issue))

        let key = SyncScenario.contributor
        let at = s.now
        let coordinate = "30617:\(repo.pubkey):\(repo.dTag)"
        let corpus = [
            key.sign(kind: 1, tags: [["e", issue.id, "", "reply"]], content: "note replying to the issue", createdAt: at),
            key.sign(kind: 7, tags: [["e", issue.id], ["p", issue.pubkey]], content: "reaction to the issue", createdAt: at),
            key.sign(kind: 1, tags: [["q", patch.id]], content: "note quoting the patch", createdAt: at),
            key.sign(kind: 1111, tags: [["E", patch.id], ["K", "1617"], ["e", patch.id], ["k", "1617"]], content: "comment on the patch", createdAt: at),
            SyncScenario.owner.sign(kind: 1630, tags: [["e", patch.id, "", "root"]], content: "status of the patch", createdAt: at),
            key.sign(kind: 30023, tags: [["d", "article"], ["q", issue.id]], content: "article quoting the issue", createdAt: at),
            key.sign(kind: 1, tags: [["q", coordinate]], content: "note quoting the repo", createdAt: at),
            key.sign(kind: 1621, tags: [["a", coordinate], ["subject", "late"]], content: "new issue", createdAt: at),
            key.sign(kind: 16, tags: [["e", patch.id], ["k", "1617"]], content: "repost of the patch", createdAt: at),
        ]
        s.publish(corpus, on: Self.peer)
        let relatedEvents = corpus.filter { Self.related.contains($0.content) }
        await s.settle { relatedEvents.allSatisfy(s.has) }
        let live = await s.coordinator.liveSetConsolidation(Self.peer)
        return Run(accepted: Set(corpus.filter(s.has).map(\.content)), consolidated: live.consolidated, approximate: live.approximateLayer3)
    }

    @Test func consolidatedLiveSetReceivesWhatThePerFilterSetReceives() async throws {
        let perFilter = try await replay { _ in }
        let consolidated = try await replay { $0.consolidationThreshold = 0 }
        #expect(!perFilter.consolidated)
        #expect(consolidated.consolidated && !consolidated.approximate)
        #expect(perFilter.accepted == Self.related)
        #expect(consolidated.accepted == perFilter.accepted, "missing: \(perFilter.accepted.subtracting(consolidated.accepted))")
    }

    /// Past the live subscription budget Layer 3 is streamed by kind: replies and reactions
    /// (kinds 1, 7, 16, 1111, statuses) still arrive.
    @Test func overTheSubscriptionBudgetRepliesStillArriveByKind() async throws {
        let run = try await replay {
            $0.consolidationThreshold = 0
            $0.consolidatedFiltersPerSubscription = 2
            $0.maxLiveSubscriptions = 3
        }
        #expect(run.consolidated && run.approximate)
        let byKind: Set<String> = ["note replying to the issue", "reaction to the issue", "note quoting the patch", "comment on the patch",
                                   "status of the patch", "repost of the patch", "new issue", "note quoting the repo"]
        #expect(byKind.isSubset(of: run.accepted), "missing: \(byKind.subtracting(run.accepted))")
    }
}
