import App
import Foundation
import Health
import Nostr
import Relay
import SyncMetrics
import Layers
import Testing
import Transport

/// One test per defect the reference had (docs/decisions.md, part 1): each would fail on the
/// reference's behaviour. Test names keep the defect numbers of the reference's documentation.
@Suite struct SyncDesignRowTests {
    static let peer = RelayURL("ws://peer.test")!

    /// (decisions: Reconnect from the disconnect, Catch up every layer)
    @Test func w1w2w3QuickReconnectDecidedOnDisconnectTimeAndCatchesUpEveryLayer() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issue = s.issue(for: repo)
        s.publish([repo, issue], on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        // Connected for an hour (the reference would then always fresh-start).
        await s.advance(3_600)
        #expect(await s.dropConnection(Self.peer))
        let disconnectedAt = s.now
        // While away, every layer gets something new: L1 announcement, state, L2 issue, L3 comment.
        let repo2 = s.announcement("second", relays: [Self.peer], at: s.now)
        let fresh = [repo2, s.state(for: repo, at: s.now), s.issue(for: repo, 9, at: s.now), s.comment(on: issue, 9, at: s.now)]
        s.publish(fresh, on: Self.peer)
        #expect(await s.run { await s.status(Self.peer) == .connected })
        guard case .quickReconnect(let since)? = await s.coordinator.syncStrategy(Self.peer) else {
            Issue.record("expected a quick reconnect")
            return
        }
        // since is a real timestamp shortly before the disconnect, not an elapsed duration.
        #expect(since <= disconnectedAt && since >= disconnectedAt - 1_000)
        for e in fresh { #expect(s.has(e), "kind \(e.kind) not caught up") }
    }

    /// (decisions: Reconnect from the disconnect)
    @Test func w1ReconnectAfterTheWindowIsAFreshStart() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        s.publish([s.announcement(relays: [Self.peer])], on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        #expect(await s.dropConnection(Self.peer))
        s.transport.inner.refuse(Self.peer, with: .connectionRefused("down"))
        await s.advance(1)
        await s.advance(1_000)
        s.transport.inner.register(try s.addPeer(Self.peer), at: Self.peer)
        #expect(await s.run(upTo: 4_000) { await s.status(Self.peer) == .connected })
        #expect(await s.coordinator.syncStrategy(Self.peer) == .freshStart)
    }

    /// (decisions: Diff on every path)
    @Test func w4SelfSubscriberNeverResendsPendingOrConfirmedFilters() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        s.publish([repo, s.issue(for: repo)], on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        let before = s.transport.sentMessages(to: Self.peer).count
        // The same announcement accepted again by the self-subscriber path changes nothing.
        let replacement = s.announcement(relays: [Self.peer], at: repo.createdAt + 1)
        _ = s.ingestor.ingest(replacement)
        await s.advance(6)
        let sentSince = s.transport.sentMessages(to: Self.peer).dropFirst(before)
        let reqs = sentSince.filter { if case .req = $0 { return true } else { return false } }
        #expect(reqs.isEmpty, "re-sent \(reqs.count) filters for an already confirmed repo")
    }

    /// (decisions: Consolidate by replacement)
    @Test func w5ConsolidationReplacesSubscriptionsAboveSeventy() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        // The peer allows more subscriptions than the consolidation threshold.
        try s.addPeer(Self.peer, limits: RelayLimits(maxSubscriptions: 200))
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        // 30 repos announced one batch at a time: 4 live filters each would pass 70.
        var repos: [NostrEvent] = []
        for i in 0..<30 {
            let repo = s.announcement("r\(i)", relays: [Self.peer], at: s.now - 100 + Int64(i))
            repos.append(repo)
            s.publish([repo], on: Self.peer)
            await s.advance(6)
        }
        let live = await s.coordinator.liveSubscriptionCount(Self.peer)
        #expect(live <= 70, "\(live) live subscriptions")
        // Live delivery still works for every repo after consolidation.
        let late = s.issue(for: repos[0], 77, at: s.now)
        s.publish([late], on: Self.peer)
        #expect(await s.settle { s.has(late) })
    }

    /// A relay whose subscription cap (4) is far below the consolidation threshold: its
    /// `too many open subscriptions` refusals consolidate the live set at once, historic
    /// requests refused for the cap are retried, and everything arrives.
    /// (decisions: Consolidate by replacement, A CLOSED ends the request)
    @Test func subscriptionCapRefusalConsolidatesAndHistoricSyncCompletes() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer, limits: RelayLimits(maxSubscriptions: 4))
        var expected: [NostrEvent] = []
        for i in 0..<12 {
            let repo = s.announcement("r\(i)", relays: [Self.peer], at: s.now - 9_000 + Int64(i))
            let issue = s.issue(for: repo, i)
            expected += [repo, issue, s.comment(on: issue, i), s.status(on: issue)]
        }
        s.publish(expected, on: Self.peer)
        await s.start()
        #expect(await s.run(upTo: 300) { await s.status(Self.peer) == .connected })
        #expect(await s.coordinator.liveSubscriptionCount(Self.peer) <= 4)
        let missing = expected.filter { !s.has($0) }
        #expect(missing.isEmpty, "\(missing.count) of \(expected.count) events missing")
        // The consolidated live set still delivers a new reply to a synced thread.
        let late = s.comment(on: expected[1], 99, at: s.now)
        s.publish([late], on: Self.peer)
        #expect(await s.settle { s.has(late) })
    }

    /// (decisions: Any delivered event counts, Pages that cannot loop or stop short)
    @Test func w7w9PaginationCountsEveryDeliveredEventEvenRejectedOnes() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer], disableNegentropy: true, pageLimit: 50)
        try s.addPeer(Self.peer)
        // The only announcement for us is the oldest; 120 newer ones do not list this node.
        let ours = s.announcement("ours", relays: [Self.peer], at: s.now - 10_000)
        s.publish([ours], on: Self.peer)
        let stranger = NostrKeypair(secretKeyHex: String(repeating: "0c", count: 32))!
        let others = (0..<120).map { i in
            stranger.sign(kind: 30617, tags: [["d", "x\(i)"], ["relays", Self.peer.description]], content: "", createdAt: s.now - 5_000 + Int64(i))
        }
        s.publish(others, on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        #expect(s.has(ours), "pagination stopped early because rejected events were not counted")
        #expect(await s.status(Self.peer) == .connected)
    }

    /// (decisions: Reconcile against the real store)
    @Test func w8NegentropyUsesTheLocalStoreSoKnownEventsAreNotDownloadedAgain() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issues = (0..<20).map { s.issue(for: repo, $0) }
        s.publish([repo] + issues, on: Self.peer)
        // The node already holds the announcement and 15 of the issues.
        _ = s.ingestor.ingest(repo)
        for i in issues.prefix(15) { _ = s.ingestor.ingest(i) }
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        for i in issues { #expect(s.has(i)) }
        #expect(s.transport.deliveredEvents(from: Self.peer) == 5, "downloaded \(s.transport.deliveredEvents(from: Self.peer)) events")
    }

    /// NIP-77 filters of one batch run side by side; `#e` and `#E` of the same root events
    /// find the same comments missing, and each is downloaded once.
    /// (decisions: Reconcile against the real store)
    @Test func sideBySideSessionsFetchEachMissingEventOnce() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer]) { $0.batchFilterConcurrency = 4 }
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issues = (0..<10).map { s.issue(for: repo, $0) }
        let comments = issues.flatMap { issue in (0..<3).map { s.comment(on: issue, $0) } }
        s.publish([repo] + issues + comments, on: Self.peer)
        // The node holds the repository and its issues: its first batch reconciles `#e` and
        // `#E` (and `#q`) of the ten issues, and both tag filters match every comment.
        _ = s.ingestor.ingest(repo)
        for i in issues { _ = s.ingestor.ingest(i) }
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        for c in comments { #expect(s.has(c)) }
        #expect(s.transport.deliveredEvents(from: Self.peer) == comments.count,
                "downloaded \(s.transport.deliveredEvents(from: Self.peer)) events for \(comments.count) missing comments")
    }

    /// (decisions: Keep a relay while it is wanted, Retry every wanted relay)
    @Test func w10w11TargetedRelayWhoseFirstConnectFailsIsRetried() async throws {
        let other = RelayURL("ws://other.test")!
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        try s.addPeer(other)
        let repo = s.announcement(relays: [Self.peer, other])
        let issue = s.issue(for: repo)
        s.publish([repo], on: Self.peer)
        s.publish([repo, issue], on: other)
        s.transport.inner.refuse(other, with: .connectionRefused("first attempt fails"))
        await s.start()
        #expect(await s.run { s.emitted.contains(.connectionAttempt(other, result: .failure)) })
        #expect(await s.status(other) == .disconnected, "a targeted relay stays tracked after a failed first connect")
        s.transport.inner.register(try s.addPeer(other), at: other)
        s.publish([repo, issue], on: other)
        #expect(await s.run { s.has(issue) })
    }

    /// (decisions: Staggered daily resync)
    @Test func w12DailyResyncIsStaggeredAndReturnsThroughSyncing() async throws {
        let other = RelayURL("ws://other.test")!
        let s = try SyncScenario(bootstrap: [Self.peer, other])
        try s.addPeer(Self.peer)
        try s.addPeer(other)
        await s.start()
        let both = await s.run {
            let second = await s.status(other)
            return await s.status(Self.peer) == .connected && second == .connected
        }
        #expect(both)
        let a = await s.coordinator.nextDailyResync(Self.peer)!
        let b = await s.coordinator.nextDailyResync(other)!
        #expect(a != b, "daily resyncs are staggered per relay")
        for due in [a, b] { #expect(due - s.clock.now() >= 82_000 && due - s.clock.now() <= 90_000) }
        let statuses = { s.emitted.filter { $0 == .connectionStatusChanged(Self.peer, .syncing) }.count }
        let before = statuses()
        s.clock.set(a + 1)
        await s.step()
        #expect(statuses() == before + 1, "daily resync moves the relay back to Syncing")
        #expect(await s.run { await s.status(Self.peer) == .connected })
    }

    /// (decisions: Never dial yourself, One spelling per relay)
    @Test func w15OwnURLNeverDialledWhateverItsSpelling() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let spelled = SyncScenario.owner.sign(
            kind: 30617, tags: [["d", "self"], ["relays", "WSS://Node.Test:443/", Self.peer.description]], content: "", createdAt: s.now - 100)
        s.publish([spelled], on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        #expect(s.has(spelled))
        #expect(await s.coordinator.trackedRelays().keys.contains(SyncScenario.nodeURL) == false)
    }

    /// (decisions: A CLOSED ends the request, Rate-limited work waits off the engine, Rate limits
    /// from every answer)
    @Test func w19RateLimitedClosedPausesThenResumesHistoricSync() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer], disableNegentropy: true)
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        s.publish([repo, s.issue(for: repo)], on: Self.peer)
        let refusals = Counter()
        s.transport.intercept { _, message in
            if case .req(let id, let filters) = message, filters.allSatisfy({ $0.limit != 0 }), refusals.next() < 2 {
                return .reply([.closed(subscriptionID: id, message: "rate-limited: slow down")])
            }
            return .forward
        }
        await s.start()
        await s.step()
        let tracker = await s.coordinator.healthTracker
        #expect(await tracker.status(of: Self.peer.description) == .rateLimited)
        func historicREQs() -> Int {
            s.transport.sentMessages(to: Self.peer).filter {
                if case .req(_, let filters) = $0 { return filters.allSatisfy { $0.limit != 0 } } else { return false }
            }.count
        }
        let refusedSoFar = historicREQs()
        #expect(refusedSoFar == 1)
        // Paused: nothing new goes to the relay during the 65 s cooldown.
        for _ in 0..<60 { await s.advance(1) }
        #expect(historicREQs() == refusedSoFar)
        #expect(await s.status(Self.peer) == .syncing)
        // Resumed after the cooldown (a second refusal doubles it), then completes.
        #expect(await s.run(upTo: 300) { await s.status(Self.peer) == .connected })
        #expect(historicREQs() > refusedSoFar)
        #expect(await tracker.status(of: Self.peer.description) != .rateLimited)
        #expect(s.has(repo))
    }

    /// (decisions: Gauges derived from state)
    @Test func w20w21MetricsSnapshotFollowsStateEachTick() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        await s.step()
        guard case .snapshot(let snap)? = s.emitted.last(where: { if case .snapshot = $0 { return true } else { return false } }) else {
            Issue.record("no snapshot emitted")
            return
        }
        let entry = snap.relays.first { $0.url == Self.peer }
        #expect(entry?.connectionStatus == .connected)
        #expect(entry?.health == .healthy)
        #expect(snap.connectedTotal == 1)
    }

    /// (decisions: Restart is a quick reconnect)
    @Test func w29RestartWithinWindowIsQuickReconnectWithConfirmedStateKept() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        s.publish([repo, s.issue(for: repo)], on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        let confirmedBefore = await s.coordinator.confirmedNeeds(Self.peer)
        #expect(!confirmedBefore.isEmpty)
        s.clock.advance(by: 120)
        await s.restart()
        #expect(await s.coordinator.confirmedNeeds(Self.peer) == confirmedBefore, "confirmed state persisted")
        #expect(await s.run { await s.status(Self.peer) == .connected })
        guard case .quickReconnect? = await s.coordinator.syncStrategy(Self.peer) else {
            Issue.record("restart within 15 minutes should be a quick reconnect")
            return
        }
    }

    /// A restart rebuilds the desired index from the store (root events through their `a`
    /// tags in the tag index): the same index the self-subscriber built from the events,
    /// including a root event naming two repositories and one naming an unknown repository.
    /// (decisions: Restart is a quick reconnect, Resolve root events fully)
    @Test func restartRebuildsTheDesiredIndexFromTheStore() async throws {
        let s = try SyncScenario()
        let repo = s.announcement("one", relays: [Self.peer])
        let other = s.announcement("two", relays: [RelayURL("ws://other.test")!])
        let both = SyncScenario.contributor.sign(kind: 1621, tags: [["a", "30617:\(repo.pubkey):one"], ["a", "30617:\(other.pubkey):two"],
                                                                    ["a", "30617:\(repo.pubkey):one"], ["p", repo.pubkey]],
                                                 content: "both", createdAt: s.now - 100)
        let unknown = SyncScenario.contributor.sign(kind: 1617, tags: [["a", "30617:\(repo.pubkey):gone"]], content: "p", createdAt: s.now - 90)
        let events = [repo, other, s.issue(for: repo, 1), s.issue(for: other, 2), both, unknown, s.comment(on: both)]
        for e in events { #expect(s.ingestor.ingest(e) == .saved || e.id == unknown.id) }
        var expected = RepoSyncIndex()
        let stored = events.filter { s.has($0) }
        _ = SelfSubscriberBatch.apply(stored, to: &expected, ownURLs: [SyncScenario.nodeURL])
        await s.start()
        let rebuilt = await s.coordinator.desiredIndex()
        #expect(rebuilt == expected)
        #expect(rebuilt.repos.values.map(\.rootEvents.count).reduce(0, +) == 4)
    }

    /// (decisions: Bounded id-fetch retries, Any delivered event counts)
    @Test func w31IdFetchRetriesAreBoundedAndMarkTheBatchFailed() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        s.publish([repo], on: Self.peer)
        // The relay announces the id through NIP-77 but never delivers it by id.
        s.transport.intercept { _, message in
            if case .req(let id, let filters) = message, filters.contains(where: { $0.ids != nil }) {
                return .reply([.eose(subscriptionID: id)])
            }
            return .forward
        }
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connectedHistoricSyncFailures })
        let idFetches = s.transport.sentMessages(to: Self.peer).filter {
            if case .req(_, let filters) = $0 { return filters.contains { $0.ids != nil } } else { return false }
        }
        #expect(idFetches.count == 1 + s.configuration.idFetchRetries)
    }

    /// (decisions: NIP-77 support is learned and re-probed)
    @Test func w32Nip77RefusalFallsBackToReqAndIsReprobedDaily() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        s.publish([repo], on: Self.peer)
        let refuse = Flag(true)
        s.transport.intercept { _, message in
            if case .negOpen = message, refuse.value {
                return .reply([.notice("ERROR: bad msg: negentropy disabled")])
            }
            return .forward
        }
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        #expect(s.has(repo), "REQ/EOSE fallback fetched the announcement")
        #expect(await s.coordinator.negentropySupport(Self.peer) == .unsupported)
        refuse.value = false
        let due = await s.coordinator.nextDailyResync(Self.peer)!
        s.clock.set(due + 1)
        let reprobed = await s.run {
            let support = await s.coordinator.negentropySupport(Self.peer)
            return await s.status(Self.peer) == .connected && support == .supported
        }
        #expect(reprobed)
    }
}

/// Thread-safe counter for interceptors.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.withLock { defer { n += 1 }; return n } }
}

/// Thread-safe flag for interceptors.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var v: Bool
    init(_ v: Bool) { self.v = v }
    var value: Bool {
        get { lock.withLock { v } }
        set { lock.withLock { v = newValue } }
    }
}
