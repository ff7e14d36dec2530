import App
import Foundation
import Layers
import Nostr
import Testing

/// The self-subscriber path as the engine runs it: accepted events -> the self-subscriber's
/// batch -> the desired index -> the three-way diff against pending and confirmed -> the
/// filters each relay is sent. The reference re-sends every filter for every relay on each
/// batch; here each batch sends a relay only what is new for it (decisions: Diff on every
/// path, Resolve root events fully, The desired index shrinks). Driven through
/// `SyncCoordinator` in virtual time against in-process relays; what counts is what the
/// relays receive.
@Suite struct SelfSubscriberPathTests {
    static let a = RelayURL("ws://a.test")!
    static let b = RelayURL("ws://b.test")!

    /// The filters of every REQ and NEG-OPEN sent to `url` after its first `skipping` messages.
    static func filters(_ s: SyncScenario, to url: RelayURL, skipping: Int) -> [Filter] {
        s.transport.sentMessages(to: url).dropFirst(skipping).flatMap { message -> [Filter] in
            switch message {
            case .req(_, let filters): return filters
            case .negOpen(_, let filter, _): return [filter]
            default: return []
            }
        }
    }

    /// The tag values a filter selects by (`#a`, `#e`, ...), by tag name.
    static func tagged(_ filters: [Filter]) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for filter in filters {
            for (name, values) in filter.tags { out[name, default: []].formUnion(values) }
        }
        return out
    }

    /// (decisions: Diff on every path)
    @Test("a new root event sends each relay its Layer-3 filters only, not the repository's again")
    func aNewRootEventSendsOnlyTheDelta() async throws {
        let s = try SyncScenario(bootstrap: [Self.a])
        try s.addPeer(Self.a)
        try s.addPeer(Self.b)
        let repo = s.announcement(relays: [Self.a, Self.b])
        s.publish([repo], on: Self.a)
        s.publish([repo], on: Self.b)
        await s.start()
        #expect(await s.run { await Self.bothConnected(s) })
        let before = [Self.a: s.transport.sentMessages(to: Self.a).count, Self.b: s.transport.sentMessages(to: Self.b).count]

        let issue = s.issue(for: repo, 1, at: s.now)
        _ = s.ingestor.ingest(issue)
        await s.windowPassed()
        for relay in [Self.a, Self.b] {
            let sent = Self.tagged(Self.filters(s, to: relay, skipping: before[relay]!))
            #expect(sent["e"] == [issue.id], "\(relay): the issue's Layer-3 filters")
            #expect(sent["a"] == nil && sent["A"] == nil, "\(relay): the repository's filters again: \(sent)")
            #expect(Set(sent.values.flatMap { $0 }) == [issue.id], "\(relay): only the new root event")
        }
    }

    /// (decisions: Resolve root events fully, Diff on every path)
    @Test("an announcement and a root event in one batch reach the relay in one diff: the repository's and the root's filters, each once")
    func announcementAndRootEventInOneBatch() async throws {
        let s = try SyncScenario(bootstrap: [Self.a])
        try s.addPeer(Self.a)
        await s.start()
        #expect(await s.run { await s.status(Self.a) == .connected })
        let before = s.transport.sentMessages(to: Self.a).count

        let repo = s.announcement(relays: [Self.a], at: s.now)
        let patch = Self.patch(for: repo, at: s.now)
        // Root first: it resolves against the announcement of the same batch.
        _ = s.ingestor.ingest(patch)
        _ = s.ingestor.ingest(repo)
        await s.windowPassed()
        let filters = Self.filters(s, to: Self.a, skipping: before)
        let sent = Self.tagged(filters)
        let coordinate = "30617:\(repo.pubkey):\(repo.dTag)"
        #expect(sent["a"]?.contains(coordinate) == true, "the repository's Layer-2 filters")
        #expect(sent["e"] == [patch.id], "the patch's Layer-3 filters in the same diff")
        // Each filter went out once: live and historic, no second round for either item.
        let repeated = Dictionary(grouping: filters.map(\.jsonText), by: { $0 }).filter { $0.value.count > 2 }
        #expect(repeated.isEmpty, "sent more than live + historic: \(repeated.keys)")
        // A later tick finds nothing owed.
        let settled = s.transport.sentMessages(to: Self.a).count
        await s.advance(6)
        #expect(Self.filters(s, to: Self.a, skipping: settled).isEmpty)
    }

    /// (decisions: The desired index shrinks)
    @Test("after an announcement drops a relay, a new root event goes only to the relays it still lists")
    func aShrunkAnnouncementStopsTargetingTheDroppedRelay() async throws {
        let s = try SyncScenario(bootstrap: [Self.a])
        try s.addPeer(Self.a)
        try s.addPeer(Self.b)
        let v1 = s.announcement(relays: [Self.a, Self.b], at: s.now - 100)
        s.publish([v1], on: Self.a)
        await s.start()
        #expect(await s.run { await Self.bothConnected(s) })

        let v2 = s.announcement(relays: [Self.a], at: s.now - 50)
        _ = s.ingestor.ingest(v2)
        await s.windowPassed()
        let beforeA = s.transport.sentMessages(to: Self.a).count
        let beforeB = s.transport.sentMessages(to: Self.b).count
        let issue = s.issue(for: v2, 2, at: s.now)
        _ = s.ingestor.ingest(issue)
        await s.windowPassed()
        #expect(Self.tagged(Self.filters(s, to: Self.a, skipping: beforeA))["e"] == [issue.id])
        #expect(Self.tagged(Self.filters(s, to: Self.b, skipping: beforeB))["e"] == nil,
                "the dropped relay was sent the new root event's filters")
    }

    static func bothConnected(_ s: SyncScenario) async -> Bool {
        let a = await s.status(Self.a)
        let b = await s.status(Self.b)
        return a == .connected && b == .connected
    }

    static func patch(for repo: NostrEvent, at: Int64) -> NostrEvent {
        SyncScenario.contributor.sign(kind: NIP34.patch, tags: [["a", "30617:\(repo.pubkey):\(repo.dTag)"], ["p", repo.pubkey]],
                                      content: "From 0000 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n", createdAt: at)
    }
}

extension SyncScenario {
    /// Lets the self-subscriber see what was just ingested (its window starts then), then
    /// moves past the window so the batch is applied.
    func windowPassed() async {
        await coordinator.waitForIdle()
        await advance(configuration.batchWindow + 1)
    }
}
