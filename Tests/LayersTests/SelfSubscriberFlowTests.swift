import Health
import Layers
import Nostr
import Testing

/// The self-subscriber path end to end, as the App coordinator drives it: batch -> index ->
/// targets -> three-way diff -> pending -> confirmed. The reference re-sends every filter for
/// every relay on each batch; here a second batch yields nothing already pending or confirmed
/// (decisions: Diff on every path, Resolve root events fully, The desired index shrinks, Sync
/// level per item).
@Suite("Self-subscriber path through the three-way diff (W4, W13, W14, W17)")
struct SelfSubscriberFlowTests {
    typealias F = LayersFixtures

    struct Coordinator {
        var index = RepoSyncIndex()
        var pending = PendingSyncIndex()
        var confirmed = ConfirmedSyncIndex()
        var status: [RelayURL: RelayConnectionStatus] = [:]

        /// One batch, composed as the engine composes it (`applySelfSubscriberBatch` ->
        /// `recompute(only:)` -> `startBatch`): update the index, diff the changed relays
        /// against the index's own targets, record pending batches.
        mutating func batch(_ events: [NostrEvent]) -> [AddFilters] {
            let changed = SelfSubscriberBatch.apply(events, to: &index, ownURLs: [F.own])
            let statuses = status
            let actions = computeActions(targets: index.relayTargets, pending: pending, confirmed: confirmed,
                                         relays: changed) { statuses[$0] }
            for action in actions { pending.add(relay: action.relay, repos: action.repos, rootEvents: action.rootEvents) }
            return actions
        }

        mutating func completeAll() {
            for relay in pending.relays {
                for batch in pending.batches(for: relay) {
                    confirmed.confirm(pending.complete(batch.id)!)
                }
            }
        }
    }

    /// (decisions: Diff on every path)
    @Test("W4: a second batch for the same repo yields no action while pending, and none after confirmed")
    func noResendWhilePendingOrConfirmed() {
        var node = Coordinator()
        node.status[F.url("wss://a.example")] = .syncing
        let v1 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 100)
        let first = node.batch([v1])
        #expect(first == [AddFilters(relay: F.url("wss://a.example"), repos: [F.ref(of: v1): .full])])
        #expect(node.pending.batches(for: F.url("wss://a.example")).count == 1)

        // Same repo again (re-announced with the same relays) while the first batch is in flight.
        let v2 = F.announcement(d: "grasp", relays: ["wss://a.example/"], createdAt: 200)
        #expect(node.batch([v2]).isEmpty)
        // Same repo again, forced through the diff for every target (as the reference's batch does).
        let all = computeActions(targets: deriveRelayTargets(node.index), pending: node.pending,
                                 confirmed: node.confirmed) { _ in .syncing }
        #expect(all.isEmpty)
        #expect(node.pending.count == 1)

        node.completeAll()
        #expect(node.pending.isEmpty)
        let v3 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 300)
        #expect(node.batch([v3]).isEmpty)
        #expect(computeActions(targets: deriveRelayTargets(node.index), pending: node.pending,
                               confirmed: node.confirmed) { _ in .connected }.isEmpty)
    }

    /// (decisions: Diff on every path)
    @Test("W4: a new root event adds only its Layer-3 filters, not the repo's again")
    func onlyTheDelta() {
        var node = Coordinator()
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example", "wss://b.example"])
        #expect(node.batch([repo]).count == 2)
        node.completeAll()
        let issue = F.rootEvent(tagging: [F.ref(of: repo)])
        let actions = node.batch([issue])
        #expect(actions.map(\.relay) == [F.url("wss://a.example"), F.url("wss://b.example")])
        #expect(actions.allSatisfy { $0.repos.isEmpty && $0.rootEvents == [issue.id] && $0.filters(live: true).count == 3 })
    }

    /// (decisions: Resolve root events fully, Diff on every path)
    @Test("W13 + W4: announcement and root event in one batch give one action with both")
    func sameBatchOneAction() throws {
        var node = Coordinator()
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example"])
        let patch = F.rootEvent(kind: NIP34.patch, tagging: [F.ref(of: repo)])
        let actions = node.batch([patch, repo])
        #expect(actions == [AddFilters(relay: F.url("wss://a.example"), repos: [F.ref(of: repo): .full], rootEvents: [patch.id])])
        #expect(try #require(actions.first).filters(live: false).count == 7)
    }

    /// (decisions: The desired index shrinks)
    @Test("W14: after a shrink the dropped relay is no longer targeted; nothing is sent to it")
    func shrinkStopsTargeting() {
        var node = Coordinator()
        let v1 = F.announcement(d: "grasp", relays: ["wss://a.example", "wss://b.example"], createdAt: 100)
        #expect(node.batch([v1]).count == 2)
        let v2 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 200)
        #expect(node.batch([v2]).isEmpty)
        #expect(deriveRelayTargets(node.index)[F.url("wss://b.example")] == nil)
        // A root event now goes only to the remaining relay.
        let issue = F.rootEvent(tagging: [F.ref(of: v1)])
        #expect(node.batch([issue]).map(\.relay) == [F.url("wss://a.example")])
    }

    /// (decisions: Sync level per item)
    @Test("W17: stateOnly confirmed, then the operator releases the repo -> an action with its L2 filters")
    func upgradeThroughFlow() throws {
        var node = Coordinator()
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example"])
        let ref = F.ref(of: repo)
        _ = SelfSubscriberBatch.apply([repo], to: &node.index, ownURLs: [])
        node.index.setLevel(.stateOnly, for: ref)
        let first = computeActions(targets: deriveRelayTargets(node.index), pending: node.pending, confirmed: node.confirmed) { _ in nil }
        #expect(first == [AddFilters(relay: F.url("wss://a.example"), repos: [ref: .stateOnly])])
        let stateAction = try #require(first.first)
        #expect(stateAction.filters(live: false).count == 1)
        node.pending.add(relay: stateAction.relay, repos: stateAction.repos, rootEvents: stateAction.rootEvents)
        node.completeAll()

        node.index.setLevel(.full, for: ref)
        let upgrade = computeActions(targets: deriveRelayTargets(node.index), pending: node.pending, confirmed: node.confirmed) { _ in .connected }
        #expect(upgrade == [AddFilters(relay: F.url("wss://a.example"), repos: [ref: .full])])
        #expect(try #require(upgrade.first).filters(live: false).filter { $0.tags["a"] != nil || $0.tags["A"] != nil || $0.tags["q"] != nil }.count == 3)
    }
}
