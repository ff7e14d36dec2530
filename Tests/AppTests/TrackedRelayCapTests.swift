import App
import Foundation
import Nostr
import Testing
import Transport

/// Issue 14 item 2 ("dialing limits") at the coordinator: the tracked-relay cap
/// (`maxTrackedRelays`) makes never-connected relays give way, keeps bootstrap relays and
/// relays that delivered accepted events (also across a restart), and one announcement only
/// brings in a bounded share of relays. Each test fails on a cap that only refuses newcomers
/// and is ignored on restore, or without the per-announcement limit.
@Suite struct TrackedRelayCapTests {
    static let bootstrap = RelayURL("ws://bootstrap.test")!
    static let peer = RelayURL("ws://peer.test")!
    static let junkAuthor = NostrKeypair(secretKeyHex: String(repeating: "0c", count: 32))!

    /// Relays nobody can reach; their names sort before the real ones, so a registration in
    /// URL order meets them first.
    static func junk(_ i: Int) -> RelayURL { RelayURL("ws://junk\(i).test")! }

    @Test func junkAnnouncementsCannotCrowdOutDeliveringOrBootstrapRelaysAndRealRelaysStillGetIn() async throws {
        let s = try SyncScenario(bootstrap: [Self.bootstrap]) { $0.maxTrackedRelays = 4 }
        try s.addPeer(Self.bootstrap)
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issue = s.issue(for: repo)
        s.publish([repo], on: Self.bootstrap)
        s.publish([repo, issue], on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected && s.has(issue) })

        // Two announcements list 20 relays that never answer.
        let junk = (0..<20).map(Self.junk)
        for url in junk { s.transport.inner.refuse(url, with: .connectionRefused("down")) }
        let junkRepos = [
            s.announcement("junk-a", relays: Array(junk[0..<10]), by: Self.junkAuthor, at: s.now),
            s.announcement("junk-b", relays: Array(junk[10..<20]), by: Self.junkAuthor, at: s.now),
        ]
        s.publish(junkRepos, on: Self.bootstrap)
        // The junk fills the free places and fails to connect there.
        let junkTried = await s.run {
            let tracked = await s.coordinator.trackedRelays()
            let trackedJunk = junk.filter { tracked[$0] != nil }
            return tracked.count == 4 && trackedJunk.allSatisfy { s.emitted.contains(.connectionAttempt($0, result: .failure)) }
        }
        #expect(junkTried)
        for r in junkRepos { #expect(s.has(r)) }
        var tracked = await s.coordinator.trackedRelays()
        #expect(tracked.count <= 4, "\(tracked.count) relays tracked over a cap of 4")
        #expect(tracked[Self.bootstrap] != nil, "the bootstrap relay lost its place to junk")
        #expect(tracked[Self.peer] != nil, "the relay that delivered events lost its place to junk")
        #expect(await s.status(Self.peer) == .connected)

        // A real relay announced after the junk takes the place of a junk relay that never
        // connected, and syncs.
        let late = RelayURL("ws://late.test")!
        try s.addPeer(late)
        let lateRepo = s.announcement("late", relays: [late], at: s.now)
        let lateIssue = s.issue(for: lateRepo, 1, at: s.now)
        s.publish([lateRepo, lateIssue], on: late)
        s.publish([lateRepo], on: Self.bootstrap)
        #expect(await s.run { s.has(lateIssue) }, "the relay announced after the junk was never tracked")
        tracked = await s.coordinator.trackedRelays()
        #expect(tracked[late] != nil)
        #expect(tracked.count <= 4, "\(tracked.count) relays tracked over a cap of 4")
        #expect(tracked[Self.bootstrap] != nil && tracked[Self.peer] != nil)
        #expect(junk.filter { tracked[$0] != nil }.count <= 1, "a junk relay should have made room")
        #expect(await s.status(Self.peer) == .connected)
    }

    /// State saved with a cap of 10 comes back under a cap of 3: the bootstrap relay and the
    /// relay that delivered events (remembered in the saved state) keep their places. The
    /// delivering relay's URL sorts first and every relay was last seen at the same time, so
    /// only the saved `deliveredEvents` keeps it.
    @Test func capHoldsOnRestoreAndKeepsBootstrapAndDeliveringRelays() async throws {
        let delivering = RelayURL("ws://a-delivering.test")!
        let quiet = (1...4).map { RelayURL("ws://quiet\($0).test")! }
        let s = try SyncScenario(bootstrap: [Self.bootstrap]) { $0.maxTrackedRelays = 10 }
        try s.addPeer(Self.bootstrap)
        try s.addPeer(delivering)
        for url in quiet { try s.addPeer(url) }
        let repo = s.announcement(relays: [delivering] + quiet)
        let issue = s.issue(for: repo)
        s.publish([repo], on: Self.bootstrap)
        s.publish([repo, issue], on: delivering)
        await s.start()
        let all = [Self.bootstrap, delivering] + quiet
        let allConnected = await s.run {
            for url in all where await s.status(url) != .connected { return false }
            return s.has(issue)
        }
        #expect(allConnected)
        #expect(await s.coordinator.trackedRelays().count == 6)
        await s.coordinator.stop()

        // The same store, restarted with a cap of 3.
        let restarted = try SyncScenario(bootstrap: [Self.bootstrap], store: s.store) { $0.maxTrackedRelays = 3 }
        try restarted.addPeer(Self.bootstrap)
        try restarted.addPeer(delivering)
        await restarted.start()
        var tracked = await restarted.coordinator.trackedRelays()
        #expect(tracked.count <= 3, "restored \(tracked.count) relays over a cap of 3")
        #expect(tracked[Self.bootstrap] != nil, "the bootstrap relay was not restored")
        #expect(tracked[delivering] != nil, "the relay that delivered events was not restored")
        // And it stays so once the node runs.
        #expect(await restarted.run { await restarted.status(delivering) == .connected })
        await restarted.advance(10)
        tracked = await restarted.coordinator.trackedRelays()
        #expect(tracked.count <= 3, "\(tracked.count) relays tracked over a cap of 3")
        #expect(tracked[Self.bootstrap] != nil && tracked[delivering] != nil)
        await restarted.coordinator.stop()
    }

    /// One announcement listing 40 relays (30 in `relays`, 10 more derived from `clone` URLs
    /// listed before it) brings in 10 (the default `announcementRelayLimits`): the first 10 of
    /// its `relays` tag, in tag order (not URL order).
    @Test func oneAnnouncementListingFortyRelaysTracksTenRelaysTagFirst() async throws {
        let s = try SyncScenario()
        let listed = (0..<30).reversed().map { RelayURL("ws://listed\($0).test")! }
        let clones = (0..<10).map { "https://clone\($0).test/owner/wide.git" }
        let wide = SyncScenario.owner.sign(
            kind: 30617,
            tags: [["d", "wide"], ["name", "wide"], ["clone"] + clones,
                   ["relays"] + listed.map(\.description) + [SyncScenario.nodeURL.description]],
            content: "", createdAt: s.now - 100)
        await s.start()
        #expect(s.ingestor.ingest(wide) == .saved)
        #expect(await s.run(upTo: 30) { !(await s.coordinator.trackedRelays().isEmpty) })
        await s.advance(6)
        await s.advance(6)
        let tracked = Set(await s.coordinator.trackedRelays().keys)
        #expect(tracked.count <= 10, "one announcement made the node track \(tracked.count) relays")
        #expect(tracked == Set(listed.prefix(10)), "tracked \(tracked.map(\.description).sorted())")
        await s.coordinator.stop()
    }
}
