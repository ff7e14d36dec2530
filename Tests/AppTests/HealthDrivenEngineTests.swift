import App
import Foundation
import Health
import Layers
import Nostr
import Testing

/// The health tracker's actions drive the engine (issue 11, item 2): it reconnects when the
/// failure action's retry time has come and holds work back for the cooldown a rate-limit
/// action announced, without asking the tracker again.
@Suite struct HealthDrivenEngineTests {
    static let peer = RelayURL("ws://peer.test")!

    /// A real tracker whose failure actions say "retry in `retryAfter` seconds" whatever its
    /// own backoff is (a few seconds after one failure).
    actor FixedRetryHealth: RelayHealthTracking {
        let inner: RelayHealthTracker
        let retryAfter: Double
        let now: @Sendable () -> Double

        init(retryAfter: Double, now: @escaping @Sendable () -> Double) {
            inner = RelayHealthTracker(now: now)
            self.retryAfter = retryAfter
            self.now = now
        }

        func register(_ url: String) async { await inner.register(url) }
        func remove(_ url: String) async { await inner.remove(url) }
        func recordAttempt(_ url: String) async { await inner.recordAttempt(url) }
        func recordSuccess(_ url: String) async -> RelayHealthStateMachine.SuccessAction { await inner.recordSuccess(url) }
        func recordFailure(_ url: String, kind: ConnectionFailureKind, message: String?) async -> RelayHealthStateMachine.FailureAction {
            let action = await inner.recordFailure(url, kind: kind, message: message)
            guard case .retry(_, let failures) = action else { return action }
            return .retry(at: now() + retryAfter, consecutiveFailures: failures)
        }
        func recordDisconnect(_ url: String) async { await inner.recordDisconnect(url) }
        func tick() async -> RelayHealthStateMachine.TickResult { await inner.tick() }
        func status(of url: String) async -> RelayHealthStatus { await inner.status(of: url) }
        func consecutiveFailures(of url: String) async -> Int { await inner.consecutiveFailures(of: url) }
        func nextAttemptAt(_ url: String) async -> Double? { await inner.nextAttemptAt(url) }
        func lastError(of url: String) async -> String? { await inner.lastError(of: url) }
        func snapshots() async -> [RelayHealthSnapshot] { await inner.snapshots() }
        func naughtyEntries() async -> [NaughtyListEntry] { await inner.naughtyEntries() }
        func observeNotice(_ url: String, text: String) async -> RelayHealthStateMachine.RateLimitAction? {
            await inner.observeNotice(url, text: text)
        }
        func observeClosed(_ url: String, reason: String) async -> RelayHealthStateMachine.RateLimitAction? {
            await inner.observeClosed(url, reason: reason)
        }
        func observeOK(_ url: String, accepted: Bool, message: String) async -> RelayHealthStateMachine.RateLimitAction? {
            await inner.observeOK(url, accepted: accepted, message: message)
        }
    }

    @Test("a failed attempt is retried when the failure action says, not when the tracker's own backoff ends")
    func retryFollowsTheFailureAction() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer], health: { clock in FixedRetryHealth(retryAfter: 300, now: { clock.now() }) })
        s.transport.inner.refuse(Self.peer, with: .connectionRefused("down for maintenance"))
        await s.start()
        func attempts() -> Int { s.emitted.filter { $0 == .connectionAttempt(Self.peer, result: .failure) }.count }
        #expect(await s.run { attempts() == 1 })
        let failedAt = s.now
        try s.addPeer(Self.peer)
        // The tracker itself allows an attempt after a few seconds; the action said 300.
        #expect(!(await s.run(upTo: 290) { await s.status(Self.peer) != .disconnected }), "no attempt before the action's retry time")
        #expect(await s.run(upTo: 30) { await s.status(Self.peer) == .connected })
        #expect(s.now >= failedAt + 300)
    }
}
