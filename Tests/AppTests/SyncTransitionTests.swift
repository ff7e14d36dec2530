import App
import Foundation
import Health
import Nostr
import Relay
import Testing
import Transport

/// The connection status machine (decisions: Connection status machine), transition by
/// transition, in virtual time.
@Suite struct SyncTransitionTests {
    static let peer = RelayURL("ws://peer.test")!

    /// A node that bootstraps from `peer`, which holds one repo with an issue and a comment.
    func syncedScenario() async throws -> (SyncScenario, [NostrEvent]) {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issue = s.issue(for: repo)
        let events = [repo, s.state(for: repo), issue, s.comment(on: issue), s.status(on: issue)]
        s.publish(events, on: Self.peer)
        await s.start()
        return (s, events)
    }

    @Test func t1BootstrapRegistersDisconnected() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        await s.start()
        #expect(await s.status(Self.peer) == .disconnected)
    }

    @Test func t2t4t5ConnectingThenSyncing() async throws {
        let (s, _) = try await syncedScenario()
        await s.coordinator.tick()
        let afterTick = await s.status(Self.peer)
        #expect(afterTick == .connecting || afterTick == .syncing)
        await s.coordinator.waitForIdle()
        #expect(await s.status(Self.peer) == .syncing)
        #expect(await s.coordinator.syncStrategy(Self.peer) == .freshStart)
        #expect(s.emitted.contains(.connectionAttempt(Self.peer, result: .success)))
    }

    @Test func t3ConnectFailureRecordsHealthAndBacksOff() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        s.transport.inner.refuse(Self.peer, with: .connectionRefused("test"))
        await s.start()
        await s.step()
        #expect(await s.status(Self.peer) == .disconnected)
        let tracker = await s.coordinator.healthTracker
        #expect(await tracker.status(of: Self.peer.description) == .degraded)
        #expect(await tracker.consecutiveFailures(of: Self.peer.description) == 1)
        #expect(s.emitted.contains(.connectionAttempt(Self.peer, result: .failure)))
        // Within the backoff no new attempt is made; after it the (bootstrap) relay is
        // retried (decisions: Retry every wanted relay).
        let attempts = { s.emitted.filter { $0 == .connectionAttempt(Self.peer, result: .failure) }.count }
        await s.advance(1)
        #expect(attempts() == 1)
        await s.advance(10)
        #expect(attempts() == 2)
    }

    @Test func t6SyncCompletesToConnectedWithEverything() async throws {
        let (s, events) = try await syncedScenario()
        let done = await s.run { await s.status(Self.peer) == .connected }
        #expect(done)
        for e in events { #expect(s.has(e), "missing kind \(e.kind)") }
        #expect(s.emitted.contains(.connectionStatusChanged(Self.peer, .connected)))
    }

    @Test func t6FailedBatchEndsConnectedHistoricSyncFailures() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer], disableNegentropy: true)
        try s.addPeer(Self.peer)
        s.publish([s.announcement(relays: [Self.peer])], on: Self.peer)
        // Every historic REQ is refused; live subscriptions are fine.
        s.transport.intercept { _, message in
            if case .req(let id, let filters) = message, filters.allSatisfy({ $0.limit != 0 }) {
                return .reply([.closed(subscriptionID: id, message: "error: shutting down")])
            }
            return .forward
        }
        await s.start()
        let done = await s.run { await s.status(Self.peer) == .connectedHistoricSyncFailures }
        #expect(done)
    }

    @Test func t7UnexpectedDisconnectDropsPendingAndRecordsFailure() async throws {
        let (s, _) = try await syncedScenario()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        let down = await s.dropConnection(Self.peer)
        #expect(down)
        #expect(await s.coordinator.pendingBatches(Self.peer).isEmpty)
        let tracker = await s.coordinator.healthTracker
        #expect(await tracker.consecutiveFailures(of: Self.peer.description) >= 1)
    }

    @Test func reconnectReusesTheRelaysConnectionActor() async throws {
        let (s, _) = try await syncedScenario()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        let first = try #require(await s.coordinator.connection(for: Self.peer) as? TransportRelayLink)
        #expect(await first.connection.successfulConnections == 1)
        #expect(await s.dropConnection(Self.peer))
        #expect(await s.run(upTo: 120) { await s.status(Self.peer) == .connected })
        let second = try #require(await s.coordinator.connection(for: Self.peer) as? TransportRelayLink)
        #expect(first === second)
        #expect(await second.connection.successfulConnections == 2)
    }

    @Test func t8t9RelayNoLongerTargetedIsDroppedAndRemoved() async throws {
        let other = RelayURL("ws://other.test")!
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        try s.addPeer(other)
        let repo = s.announcement(relays: [Self.peer, other])
        s.publish([repo], on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(other) == .connected })
        // The owner replaces the announcement without `other` (decisions: The desired index
        // shrinks): other is dropped (decisions: Keep a relay while it is wanted).
        let replacement = s.announcement(relays: [Self.peer], at: repo.createdAt + 10)
        s.publish([replacement], on: Self.peer)
        _ = s.ingestor.ingest(replacement)
        let removed = await s.run { await s.status(other) == nil }
        #expect(removed)
        #expect(s.emitted.contains(.relayRemoved(other)))
        #expect(await s.status(Self.peer) != nil, "bootstrap relays are never dropped")
    }
}
