import Health
import Testing

@Suite("Relay health state machine")
struct RelayHealthStateMachineTests {
    let url = HealthFixture.url
    let t0 = HealthFixture.t0

    /// Fresh tracker → Disconnected, attempt allowed (decisions: Ported reference checks).
    @Test func freshRelayIsDisconnectedAndMayBeAttempted() {
        var machine = RelayHealthStateMachine()
        machine.register(url)
        #expect(machine.status(of: url, at: t0) == .disconnected)
        #expect(machine.canAttempt(url, at: t0))
        #expect(machine.nextAttemptAt(url, at: t0) == nil)
        #expect(machine.consecutiveFailures(of: url, at: t0) == 0)
        #expect(machine.lastError(of: url) == nil)
        #expect(machine.trackedRelays == [url])
    }

    /// Unlike the reference (unknown → Healthy), an unknown relay is not claimed healthy.
    @Test func untrackedRelayIsDisconnectedAndMayBeAttempted() {
        let machine = RelayHealthStateMachine()
        #expect(machine.status(of: url, at: t0) == .disconnected)
        #expect(machine.canAttempt(url, at: t0))
        #expect(machine.snapshot(of: url, at: t0) == nil)
        #expect(machine.trackedRelays.isEmpty)
    }

    /// One failure → Degraded and immediate retry refused (decisions: Ported reference checks).
    @Test func oneFailureDegradesAndRefusesImmediateRetry() {
        var machine = RelayHealthStateMachine()
        machine.recordAttempt(url, at: t0)
        let action = machine.recordFailure(url, kind: .refused, message: "Connection refused (os error 111)", at: t0)
        #expect(action == .retry(at: t0 + 5, consecutiveFailures: 1))
        #expect(machine.status(of: url, at: t0) == .degraded)
        #expect(machine.status(of: url, at: t0).rawValue == 3)
        #expect(machine.canAttempt(url, at: t0) == false)
        #expect(machine.canAttempt(url, at: t0 + 4.999) == false)
        #expect(machine.canAttempt(url, at: t0 + 5))
        #expect(machine.nextAttemptAt(url, at: t0 + 1) == t0 + 5)
        #expect(machine.nextAttemptAt(url, at: t0 + 5) == nil)
        #expect(machine.consecutiveFailures(of: url, at: t0) == 1)
        #expect(machine.lastError(of: url) == "Connection refused (os error 111)")
        // Still degraded after the backoff passed: failures are outstanding.
        #expect(machine.status(of: url, at: t0 + 60) == .degraded)
    }

    /// Success → Healthy, failures 0, retry allowed (for a relay without outstanding
    /// failures; with failures see the stability-period tests) (decisions: Ported reference checks).
    @Test func successWithoutFailuresIsHealthy() {
        var machine = RelayHealthStateMachine()
        machine.recordAttempt(url, at: t0)
        let action = machine.recordSuccess(url, at: t0 + 1)
        #expect(action == .healthy)
        #expect(machine.status(of: url, at: t0 + 1) == .healthy)
        #expect(machine.status(of: url, at: t0 + 1).rawValue == 1)
        #expect(machine.consecutiveFailures(of: url, at: t0 + 1) == 0)
        #expect(machine.canAttempt(url, at: t0 + 1))
    }

    @Test func successAfterFailureAllowsRetryButStaysDegradedUntilStable() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .timeout, at: t0)
        let action = machine.recordSuccess(url, at: t0 + 5)
        #expect(action == .stabilizing(stableAt: t0 + 305))
        #expect(machine.canAttempt(url, at: t0 + 5))
        #expect(machine.status(of: url, at: t0 + 5) == .degraded)
        #expect(machine.consecutiveFailures(of: url, at: t0 + 5) == 1)
        #expect(machine.status(of: url, at: t0 + 305) == .healthy)
        #expect(machine.consecutiveFailures(of: url, at: t0 + 305) == 0)
    }

    @Test func intentionalDisconnectIsNotAFailure() {
        var machine = RelayHealthStateMachine()
        machine.recordSuccess(url, at: t0)
        machine.recordDisconnect(url, at: t0 + 10)
        #expect(machine.status(of: url, at: t0 + 10) == .disconnected)
        #expect(machine.status(of: url, at: t0 + 10).rawValue == 2)
        #expect(machine.consecutiveFailures(of: url, at: t0 + 10) == 0)
        #expect(machine.canAttempt(url, at: t0 + 10))
        #expect(machine.snapshot(of: url, at: t0 + 10)?.connected == false)
    }

    /// An unexpected disconnect of an established connection counts as a failure
    /// (decisions: Health tracker).
    @Test func unexpectedDisconnectCountsAsFailure() {
        var machine = RelayHealthStateMachine()
        machine.recordSuccess(url, at: t0)
        let action = machine.recordFailure(url, kind: .closedByPeer, at: t0 + 400)
        #expect(action == .retry(at: t0 + 405, consecutiveFailures: 1))
        #expect(machine.status(of: url, at: t0 + 400) == .degraded)
        #expect(machine.lastError(of: url) == "connection closed by peer")
        let snapshot = machine.snapshot(of: url, at: t0 + 400)
        #expect(snapshot?.connected == false)
        #expect(snapshot?.lastFailureKind == .closedByPeer)
        #expect(snapshot?.failingSince == t0 + 400)
    }

    @Test func attemptIsRecordedWithoutChangingStatus() {
        var machine = RelayHealthStateMachine()
        machine.recordAttempt(url, at: t0 + 3)
        #expect(machine.status(of: url, at: t0 + 3) == .disconnected)
        #expect(machine.snapshot(of: url, at: t0 + 3)?.lastAttemptAt == t0 + 3)
        #expect(machine.canAttempt(url, at: t0 + 3))
    }

    @Test func lastErrorSurvivesRecovery() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .refused, message: "ECONNREFUSED", at: t0)
        machine.recordSuccess(url, at: t0 + 5)
        #expect(machine.lastError(of: url) == "ECONNREFUSED")
        #expect(machine.snapshot(of: url, at: t0 + 5)?.lastErrorAt == t0)
        machine.recordFailure(url, kind: .timeout, at: t0 + 10)
        #expect(machine.lastError(of: url) == "timed out")
    }

    /// A failure reported late (for an attempt that started before a longer wait was
    /// scheduled) must not bring the scheduled retry forward.
    @Test func laterFailureNeverShortensAScheduledRetry() {
        var machine = RelayHealthStateMachine()
        let first = machine.recordFailure(url, kind: .dns, at: t0)
        let second = machine.recordFailure(url, kind: .timeout, at: t0 + 1)
        #expect(first.retryAt >= t0 + 3600)
        #expect(second.retryAt == first.retryAt)
        #expect(machine.canAttempt(url, at: t0 + 60) == false)
    }

    @Test func removeForgetsEverything() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .dns, at: t0)
        machine.recordFailure(HealthFixture.other, kind: .timeout, at: t0)
        #expect(machine.naughtyList.isNaughty(url, at: t0))
        machine.remove(url)
        #expect(machine.trackedRelays == [HealthFixture.other])
        #expect(machine.naughtyList.isNaughty(url, at: t0) == false)
        #expect(machine.canAttempt(url, at: t0))
        #expect(machine.consecutiveFailures(of: url, at: t0) == 0)
    }

    @Test func registerIsIdempotent() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .timeout, at: t0)
        machine.register(url)
        #expect(machine.consecutiveFailures(of: url, at: t0) == 1)
        #expect(machine.trackedRelays == [url])
    }

    @Test func statusCountsCoverEveryStatus() {
        var machine = RelayHealthStateMachine()
        machine.register("wss://a")
        machine.recordSuccess("wss://b", at: t0)
        machine.recordFailure("wss://c", kind: .timeout, at: t0)
        machine.recordRateLimit("wss://d", at: t0)
        let counts = machine.statusCounts(at: t0 + 1)
        #expect(counts == [.healthy: 1, .disconnected: 1, .degraded: 1, .dead: 0, .rateLimited: 1])
    }

    /// Derived-state order (decisions: Health tracker): rate-limited outranks dead, dead outranks
    /// degraded.
    @Test func derivedStateOrder() {
        var machine = RelayHealthStateMachine()
        let (deadAt, _) = HealthFixture.failUntilDead(&machine, from: t0)
        #expect(machine.status(of: url, at: deadAt) == .dead)
        machine.recordRateLimit(url, at: deadAt)
        #expect(machine.status(of: url, at: deadAt + 1) == .rateLimited)
        #expect(machine.deadRelays(at: deadAt + 1) == [url])
        #expect(machine.status(of: url, at: deadAt + 65) == .dead)
    }

    @Test func snapshotsAreSortedAndComplete() {
        var machine = RelayHealthStateMachine()
        machine.recordSuccess("wss://z.example", at: t0)
        machine.recordFailure("wss://a.example", kind: .refused, message: "refused", at: t0)
        let snapshots = machine.snapshots(at: t0 + 1)
        #expect(snapshots.map(\.url) == ["wss://a.example", "wss://z.example"])
        let failing = snapshots[0]
        #expect(failing.status == .degraded)
        #expect(failing.consecutiveFailures == 1)
        #expect(failing.canAttempt == false)
        #expect(failing.nextAttemptAt == t0 + 5)
        #expect(failing.lastError == "refused")
        #expect(failing.takenAt == t0 + 1)
        let healthy = snapshots[1]
        #expect(healthy.status == .healthy)
        #expect(healthy.connected)
        #expect(healthy.connectedSince == t0)
        #expect(healthy.stableAt == nil)
        #expect(healthy.canAttempt)
    }
}
