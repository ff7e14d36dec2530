import App
import Foundation
import Nostr
import Testing

/// Layer 1 -> 2 -> 3 without waiting for self-subscriber windows (issue "field-proof sync",
/// item 5): when a historic batch that brought announcements or root events completes, the
/// self-subscriber flushes at once.
@Suite struct LayerChainingTests {
    static let peer = RelayURL("ws://peer.test")!

    @Test func aNewRepositorysThreadsArriveWithoutWaitingForTheWindow() async throws {
        // A long window: on the old path the comment would need two of them (20 virtual s).
        let s = try SyncScenario(bootstrap: [Self.peer]) { $0.batchWindow = 10 }
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issue = s.issue(for: repo)
        let comment = s.comment(on: issue)
        let status = s.status(on: issue)
        s.publish([repo, issue, comment, status], on: Self.peer)
        await s.start()
        let start = s.clock.now()
        await s.step()
        // No virtual time passes: only the batches' own completions drive the next layer.
        #expect(await s.settle { s.has(comment) && s.has(status) })
        #expect(s.clock.now() == start)
    }

    /// The window still batches events that arrive outside historic sync (a client publishing).
    @Test func eventsFromClientsStillWaitForTheWindow() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer]) { $0.batchWindow = 10 }
        try s.addPeer(Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        let repo = s.announcement("published", relays: [Self.peer], at: s.now)
        let issue = s.issue(for: repo, 1, at: s.now)
        s.publish([repo, issue], on: Self.peer)
        _ = s.ingestor.ingest(repo)
        await s.step()
        #expect(await s.coordinator.pendingBatches(Self.peer).isEmpty)
        #expect(!s.has(issue))
        await s.advance(10)
        #expect(await s.settle { s.has(issue) })
    }
}
