import Health
import Testing

/// The 5-minute stability period (unreachable in the reference; decisions: A stability period
/// that works). Here a success keeps the failure count until the connection has been up for 300 s.
@Suite("Stability period")
struct StabilityPeriodTests {
    let url = HealthFixture.url
    let t0 = HealthFixture.t0

    @Test func failureCountResetAfterFiveMinutesConnected() {
        var machine = RelayHealthStateMachine()
        let actions = HealthFixture.failRepeatedly(&machine, count: 3, from: t0)
        let connectAt = actions[2].retryAt
        #expect(machine.recordSuccess(url, at: connectAt) == .stabilizing(stableAt: connectAt + 300))
        #expect(machine.status(of: url, at: connectAt + 299.9) == .degraded)
        #expect(machine.consecutiveFailures(of: url, at: connectAt + 299.9) == 3)
        #expect(machine.status(of: url, at: connectAt + 300) == .healthy)
        #expect(machine.consecutiveFailures(of: url, at: connectAt + 300) == 0)
        #expect(machine.snapshot(of: url, at: connectAt + 100)?.stableAt == connectAt + 300)
        #expect(machine.snapshot(of: url, at: connectAt + 300)?.stableAt == nil)
    }

    @Test func tickReportsStabilisationOnce() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .timeout, at: t0)
        machine.recordSuccess(url, at: t0 + 5)
        #expect(machine.tick(at: t0 + 200).stabilized.isEmpty)
        #expect(machine.tick(at: t0 + 305).stabilized == [url])
        #expect(machine.tick(at: t0 + 307).stabilized.isEmpty)
    }

    /// After a stable connection the backoff starts over at the base delay.
    @Test func backoffStartsOverAfterStableConnection() {
        var machine = RelayHealthStateMachine()
        let actions = HealthFixture.failRepeatedly(&machine, count: 6, from: t0)
        let connectAt = actions[5].retryAt
        machine.recordSuccess(url, at: connectAt)
        let dropAt = connectAt + 600
        let action = machine.recordFailure(url, kind: .closedByPeer, at: dropAt)
        #expect(action == .retry(at: dropAt + 5, consecutiveFailures: 1))
    }

    /// A relay that accepts connections and drops them within the stability period keeps
    /// backing off (the reference reset to 5 s on every connect).
    @Test func flappingRelayKeepsBackingOff() {
        var machine = RelayHealthStateMachine()
        let actions = HealthFixture.failRepeatedly(&machine, count: 3, from: t0)
        var now = actions[2].retryAt
        var delays: [Double] = []
        for _ in 0..<3 {
            machine.recordSuccess(url, at: now)
            now += 60  // drops after a minute, well inside the stability period
            let action = machine.recordFailure(url, kind: .closedByPeer, at: now)
            delays.append(action.retryAt - now)
            now = action.retryAt
        }
        #expect(delays == [40, 80, 160])
        #expect(machine.consecutiveFailures(of: url, at: now) == 6)
        #expect(machine.status(of: url, at: now) == .degraded)
    }

    @Test func repeatedSuccessNotificationsDoNotRestartThePeriod() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .timeout, at: t0)
        machine.recordSuccess(url, at: t0 + 10)
        #expect(machine.recordSuccess(url, at: t0 + 200) == .stabilizing(stableAt: t0 + 310))
        #expect(machine.status(of: url, at: t0 + 310) == .healthy)
        #expect(machine.recordSuccess(url, at: t0 + 400) == .healthy)
    }

    /// The stability period needs an uninterrupted connection: closing it on purpose
    /// forgives nothing.
    @Test func intentionalDisconnectInsideThePeriodForgivesNothing() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .timeout, at: t0)
        machine.recordFailure(url, kind: .timeout, at: t0 + 5)
        machine.recordSuccess(url, at: t0 + 20)
        machine.recordDisconnect(url, at: t0 + 100)
        #expect(machine.status(of: url, at: t0 + 1000) == .degraded)
        #expect(machine.consecutiveFailures(of: url, at: t0 + 1000) == 2)
        #expect(machine.canAttempt(url, at: t0 + 100))
        #expect(machine.tick(at: t0 + 1000).stabilized.isEmpty)
    }

    @Test func customStabilityPeriod() {
        var machine = RelayHealthStateMachine(configuration: HealthConfiguration(stabilityPeriod: 30))
        machine.recordFailure(url, kind: .timeout, at: t0)
        #expect(machine.recordSuccess(url, at: t0 + 5) == .stabilizing(stableAt: t0 + 35))
        #expect(machine.status(of: url, at: t0 + 34) == .degraded)
        #expect(machine.status(of: url, at: t0 + 35) == .healthy)
    }
}
