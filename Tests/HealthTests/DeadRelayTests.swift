import Health
import Testing

/// Dead relays (decisions: Health tracker): dead after 24 h of continuous failure, then one attempt
/// per 24 h; recovery on success.
@Suite("Dead relays")
struct DeadRelayTests {
    let url = HealthFixture.url
    let t0 = HealthFixture.t0
    let day: Double = 86_400

    @Test func deadAfterTwentyFourHoursOfFailures() {
        var machine = RelayHealthStateMachine()
        let (deadAt, action) = HealthFixture.failUntilDead(&machine, from: t0)
        #expect(deadAt >= t0 + day)
        #expect(deadAt < t0 + day + 3600 * 1.2)
        #expect(action == .retryDead(at: deadAt + day))
        #expect(machine.status(of: url, at: deadAt) == .dead)
        #expect(machine.status(of: url, at: deadAt).rawValue == 4)
        #expect(machine.deadRelays(at: deadAt) == [url])
        // Every failure before the threshold was an ordinary capped backoff, never 24 h.
        #expect(machine.snapshot(of: url, at: deadAt)?.failingSince == t0)
    }

    /// Dead is derived from time: a relay whose streak is 24 h old is dead even if nobody
    /// retried it in between.
    @Test func deadIsReachedByTimeAlone() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .timeout, at: t0)
        #expect(machine.status(of: url, at: t0 + day - 0.001) == .degraded)
        #expect(machine.deadRelays(at: t0 + day - 0.001).isEmpty)
        #expect(machine.status(of: url, at: t0 + day) == .dead)
        #expect(machine.deadRelays(at: t0 + day) == [url])
    }

    @Test func oneAttemptPerDayOnceDead() {
        var machine = RelayHealthStateMachine()
        let (deadAt, action) = HealthFixture.failUntilDead(&machine, from: t0)
        #expect(machine.canAttempt(url, at: deadAt + day - 0.001) == false)
        #expect(machine.nextAttemptAt(url, at: deadAt + 1) == deadAt + day)
        #expect(machine.canAttempt(url, at: deadAt + day))
        var now = action.retryAt
        for _ in 0..<3 {
            let next = machine.recordFailure(url, kind: .refused, at: now, jitterSample: 0.99)
            // Exactly a day, no jitter and no misconfiguration floor involved.
            #expect(next == .retryDead(at: now + day))
            #expect(machine.status(of: url, at: now) == .dead)
            now = next.retryAt
        }
    }

    @Test func misconfiguredDeadRelayStillWaitsADay() {
        var machine = RelayHealthStateMachine()
        let (deadAt, _) = HealthFixture.failUntilDead(&machine, from: t0)
        let now = deadAt + day
        let action = machine.recordFailure(url, kind: .dns, at: now)
        #expect(action == .retryDead(at: now + day))
        #expect(machine.naughtyList.isNaughty(url, at: now))
    }

    @Test func recoveryFromDeadOnSuccess() {
        var machine = RelayHealthStateMachine()
        let (_, action) = HealthFixture.failUntilDead(&machine, from: t0)
        let connectAt = action.retryAt
        #expect(machine.status(of: url, at: connectAt) == .dead)
        let success = machine.recordSuccess(url, at: connectAt)
        #expect(success == .recoveredFromDead(stableAt: connectAt + 300))
        #expect(machine.status(of: url, at: connectAt) == .degraded)
        #expect(machine.deadRelays(at: connectAt).isEmpty)
        #expect(machine.canAttempt(url, at: connectAt))
        #expect(machine.status(of: url, at: connectAt + 300) == .healthy)
        #expect(machine.consecutiveFailures(of: url, at: connectAt + 300) == 0)
    }

    /// A successful connect ends the streak: a relay that connects and drops does not die
    /// 24 h after its first failure, but 24 h after the failure following its last success.
    @Test func successRestartsTheStreak() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .timeout, at: t0)
        machine.recordSuccess(url, at: t0 + 100)
        machine.recordFailure(url, kind: .closedByPeer, at: t0 + 200)
        #expect(machine.status(of: url, at: t0 + day + 100) == .degraded)
        #expect(machine.status(of: url, at: t0 + 200 + day) == .dead)
        #expect(machine.snapshot(of: url, at: t0 + 300)?.failingSince == t0 + 200)
    }

    @Test func connectedRelayIsNeverDead() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .timeout, at: t0)
        machine.recordSuccess(url, at: t0 + 5)
        #expect(machine.status(of: url, at: t0 + 2 * day) == .healthy)
        #expect(machine.deadRelays(at: t0 + 2 * day).isEmpty)
    }

    @Test func deadRelaysAreListedSorted() {
        var machine = RelayHealthStateMachine()
        for relay in ["wss://c", "wss://a", "wss://b"] { machine.recordFailure(relay, kind: .timeout, at: t0) }
        machine.recordFailure("wss://d", kind: .timeout, at: t0 + 10)
        #expect(machine.deadRelays(at: t0 + day) == ["wss://a", "wss://b", "wss://c"])
        #expect(machine.deadRelays(at: t0 + day + 10) == ["wss://a", "wss://b", "wss://c", "wss://d"])
        #expect(machine.statusCounts(at: t0 + day)[.dead] == 3)
    }

    @Test func customDeadThresholdAndInterval() {
        let configuration = HealthConfiguration(deadThreshold: 600, deadRetryInterval: 900)
        var machine = RelayHealthStateMachine(configuration: configuration)
        machine.recordFailure(url, kind: .timeout, at: t0)
        #expect(machine.status(of: url, at: t0 + 600) == .dead)
        #expect(machine.recordFailure(url, kind: .timeout, at: t0 + 600) == .retryDead(at: t0 + 1500))
    }
}
