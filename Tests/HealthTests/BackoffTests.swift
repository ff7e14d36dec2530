import Nostr
import Health
import Testing

@Suite("Backoff")
struct BackoffTests {
    let configuration = HealthConfiguration()

    @Test func referenceDefaults() {
        #expect(configuration.baseBackoff == 5)
        #expect(configuration.maxBackoff == 3600)
        #expect(configuration.jitterFraction == 0.2)
        #expect(configuration.deadThreshold == 86_400)
        #expect(configuration.deadRetryInterval == 86_400)
        #expect(configuration.stabilityPeriod == 300)
        #expect(configuration.rateLimitCooldown == 65)
        #expect(configuration.maxRateLimitCooldown == 1800)
        #expect(configuration.rateLimitMemory == 3600)
        #expect(configuration.misconfigurationMinimumDelay == 3600)
        #expect(configuration.naughtyListExpiry == 43_200)
    }

    /// Failures 1..5 → 5, 10, 20, 40, 80 s (decisions: Ported reference checks).
    @Test func firstFiveFailures() {
        #expect((1...5).map { configuration.backoff(afterFailures: $0) } == [5, 10, 20, 40, 80])
    }

    @Test func fullTableUpToTheCap() {
        let delays = (1...12).map { configuration.backoff(afterFailures: $0) }
        #expect(delays == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600])
    }

    /// 20 failures → capped at max; huge counts must not overflow (decisions: Ported reference checks).
    @Test func cappedAtMaximum() {
        #expect(configuration.backoff(afterFailures: 20) == 3600)
        #expect(configuration.backoff(afterFailures: 64) == 3600)
        #expect(configuration.backoff(afterFailures: Int.max) == 3600)
        #expect(configuration.backoff(afterFailures: 0) == 0)
        #expect(configuration.backoff(afterFailures: -3) == 0)
    }

    @Test func customBaseAndMaximum() {
        let custom = HealthConfiguration(baseBackoff: 2, maxBackoff: 30)
        #expect((1...7).map { custom.backoff(afterFailures: $0) } == [2, 4, 8, 16, 30, 30, 30])
    }

    @Test func machineSchedulesTheReferenceSequenceWithoutJitter() {
        var machine = RelayHealthStateMachine()
        let actions = HealthFixture.failRepeatedly(&machine, count: 5, from: HealthFixture.t0)
        var previous = HealthFixture.t0
        var delays: [Double] = []
        for action in actions {
            delays.append(action.retryAt - previous)
            previous = action.retryAt
        }
        #expect(delays == [5, 10, 20, 40, 80])
        #expect(actions.last == .retry(at: HealthFixture.t0 + 155, consecutiveFailures: 5))
    }

    @Test func machineCapsAfterTwentyFailures() {
        var machine = RelayHealthStateMachine()
        let actions = HealthFixture.failRepeatedly(&machine, count: 20, from: HealthFixture.t0)
        let last = actions[19].retryAt - actions[18].retryAt
        #expect(last == 3600)
        #expect(machine.consecutiveFailures(of: HealthFixture.url, at: actions[19].retryAt) == 20)
    }

    @Test func jitterExtremesAndClamping() {
        #expect(configuration.jittered(100, sample: 0) == 80)
        #expect(configuration.jittered(100, sample: 0.5) == 100)
        #expect(configuration.jittered(100, sample: 1) == 120)
        #expect(configuration.jittered(100, sample: -3) == 80)
        #expect(configuration.jittered(100, sample: 7) == 120)
        #expect(HealthConfiguration(jitterFraction: 0).jittered(100, sample: 0.9) == 100)
    }

    /// Seeded jitter: every delay within ±20 % of the nominal backoff, and the jitter
    /// actually spreads the delays (a constant factor would fail the spread check).
    @Test func jitteredDelaysStayWithinTwentyPercent() {
        var random = SplitMix64(seed: 42)
        var lowest = Double.infinity
        var highest = -Double.infinity
        for failures in 1...12 {
            let nominal = configuration.backoff(afterFailures: failures)
            for _ in 0..<50 {
                let delay = configuration.jittered(nominal, sample: random.sample())
                #expect(delay >= nominal * 0.8 && delay <= nominal * 1.2, "failures \(failures): \(delay)")
                lowest = min(lowest, delay / nominal)
                highest = max(highest, delay / nominal)
            }
        }
        #expect(lowest < 0.85)
        #expect(highest > 1.15)
    }

    @Test func machineBackoffSequenceWithSeededJitter() {
        var machine = RelayHealthStateMachine()
        var random = SplitMix64(seed: 7)
        var now = HealthFixture.t0
        var ratios: [Double] = []
        for failures in 1...14 {
            let action = machine.recordFailure(HealthFixture.url, kind: .refused, at: now, jitterSample: random.sample())
            let nominal = machine.configuration.backoff(afterFailures: failures)
            let delay = action.retryAt - now
            #expect(delay >= nominal * 0.8 && delay <= nominal * 1.2, "failure \(failures): \(delay) vs \(nominal)")
            #expect(machine.canAttempt(HealthFixture.url, at: action.retryAt - 0.001) == false)
            #expect(machine.canAttempt(HealthFixture.url, at: action.retryAt))
            ratios.append(delay / nominal)
            now = action.retryAt
        }
        // At the cap the jitter still spreads retries (it is applied after the cap).
        #expect(Set(ratios).count == ratios.count)
        #expect(ratios.contains { $0 > 1.0 })
        #expect(ratios.contains { $0 < 1.0 })
    }
}
