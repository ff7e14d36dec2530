import Nostr
import Health
import Testing

/// Failures that look like persistent misconfiguration wait at least an hour
/// (decisions: Naughty relays wait longer: in the reference the naughty list had no effect on
/// retries).
@Suite("Misconfiguration backoff")
struct MisconfigurationBackoffTests {
    let url = HealthFixture.url
    let t0 = HealthFixture.t0

    @Test(arguments: [ConnectionFailureKind.dns, .tlsCertificate, .protocolError])
    func persistentFailuresWaitAtLeastAnHour(kind: ConnectionFailureKind) {
        var random = SplitMix64(seed: 99)
        for _ in 0..<50 {
            var machine = RelayHealthStateMachine()
            let action = machine.recordFailure(url, kind: kind, at: t0, jitterSample: random.sample())
            let delay = action.retryAt - t0
            #expect(delay >= 3600 && delay <= 3600 * 1.2, "\(kind): \(delay)")
            #expect(machine.canAttempt(url, at: t0 + 3599.999) == false)
            #expect(machine.canAttempt(url, at: action.retryAt))
            #expect(machine.status(of: url, at: t0) == .degraded)
        }
    }

    @Test func floorHoldsEvenWithTheLowestJitter() {
        var machine = RelayHealthStateMachine()
        let action = machine.recordFailure(url, kind: .dns, at: t0, jitterSample: 0)
        #expect(action == .retryMisconfigured(at: t0 + 3600, category: .dnsLookupFailed, newlyListed: true))
    }

    @Test(arguments: [ConnectionFailureKind.refused, .timeout, .closedByPeer, .other])
    func transientFailuresUseTheNormalBackoff(kind: ConnectionFailureKind) {
        var machine = RelayHealthStateMachine()
        let action = machine.recordFailure(url, kind: kind, at: t0, jitterSample: 0.75)
        #expect(action == .retry(at: t0 + 5.5, consecutiveFailures: 1))
        #expect(machine.naughtyList.isNaughty(url, at: t0) == false)
    }

    /// Once the exponential backoff exceeds the floor, the longer wait applies.
    @Test func longerBackoffWinsOverTheFloor() {
        var machine = RelayHealthStateMachine(configuration: HealthConfiguration(maxBackoff: 7200))
        let actions = HealthFixture.failRepeatedly(&machine, count: 11, from: t0)  // nominal: 5 … 5120
        let now = actions[10].retryAt
        let action = machine.recordFailure(url, kind: .tlsCertificate, at: now)
        #expect(action.retryAt == now + 7200)
    }

    @Test func customFloor() {
        var machine = RelayHealthStateMachine(configuration: HealthConfiguration(misconfigurationMinimumDelay: 600))
        let action = machine.recordFailure(url, kind: .protocolError, at: t0, jitterSample: 0)
        #expect(action.retryAt == t0 + 600)
    }

    @Test func errorTextIsClassifiedAndKept() {
        var machine = RelayHealthStateMachine()
        let text = "error trying to connect: dns error: failed to lookup address information"
        let action = machine.recordFailure(url, errorText: text, at: t0)
        guard case .retryMisconfigured(let at, .dnsLookupFailed, true) = action else {
            Issue.record("expected a DNS misconfiguration, got \(action)")
            return
        }
        #expect(at >= t0 + 3600)
        let snapshot = machine.snapshot(of: url, at: t0)
        #expect(snapshot?.lastFailureKind == .dns)
        #expect(snapshot?.lastError == text)
        #expect(snapshot?.misconfiguration == .dnsLookupFailed)
        #expect(machine.naughtyList.entry(for: url, at: t0)?.reason == text)

        let transient = machine.recordFailure(HealthFixture.other, errorText: "Connection refused (os error 111)", at: t0)
        #expect(transient == .retry(at: t0 + 5, consecutiveFailures: 1))
        #expect(machine.snapshot(of: HealthFixture.other, at: t0)?.lastFailureKind == .refused)
    }
}
