import Health
import Testing

/// Rate-limit cooldowns (decisions: Health tracker), escalated (decisions: Rate limits from every
/// answer).
@Suite("Rate-limit cooldown")
struct RateLimitTests {
    let url = HealthFixture.url
    let t0 = HealthFixture.t0

    @Test func firstRateLimitCoolsDownFor65Seconds() {
        var machine = RelayHealthStateMachine()
        machine.register(url)
        let action = machine.recordRateLimit(url, reason: "rate-limited: slow down", at: t0)
        #expect(action == .cooldownStarted(until: t0 + 65, cooldown: 65, strike: 1))
        #expect(machine.status(of: url, at: t0) == .rateLimited)
        #expect(machine.status(of: url, at: t0).rawValue == 5)
        #expect(machine.isRateLimited(url, at: t0 + 64.999))
        #expect(machine.canAttempt(url, at: t0 + 64.999) == false)
        #expect(machine.nextAttemptAt(url, at: t0 + 10) == t0 + 65)
        #expect(machine.rateLimitedUntil(url, at: t0 + 10) == t0 + 65)
        #expect(machine.lastError(of: url) == "rate-limited: slow down")
        #expect(machine.isRateLimited(url, at: t0 + 65) == false)
        #expect(machine.rateLimitedUntil(url, at: t0 + 65) == nil)
        #expect(machine.canAttempt(url, at: t0 + 65))
        #expect(machine.status(of: url, at: t0 + 65) == .disconnected)
    }

    @Test func repeatsWithinAnHourDoubleUpToThirtyMinutes() {
        var machine = RelayHealthStateMachine()
        var now = t0
        var cooldowns: [Double] = []
        var strikes: [Int] = []
        for _ in 0..<8 {
            guard case .cooldownStarted(let until, let cooldown, let strike) = machine.recordRateLimit(url, at: now) else {
                Issue.record("expected a new cooldown at \(now)")
                return
            }
            cooldowns.append(cooldown)
            strikes.append(strike)
            now = until + 30  // limited again half a minute after the cooldown ended
        }
        #expect(cooldowns == [65, 130, 260, 520, 1040, 1800, 1800, 1800])
        #expect(strikes == Array(1...8))
        #expect(HealthConfiguration().cooldown(forStrike: 6) == 1800)
    }

    @Test func escalationResetsAfterAnHourOfQuiet() {
        var escalated = RelayHealthStateMachine()
        escalated.recordRateLimit(url, at: t0)  // ends at t0 + 65
        #expect(escalated.recordRateLimit(url, at: t0 + 65 + 3599) == .cooldownStarted(
            until: t0 + 65 + 3599 + 130, cooldown: 130, strike: 2))

        var forgiven = RelayHealthStateMachine()
        forgiven.recordRateLimit(url, at: t0)
        #expect(forgiven.recordRateLimit(url, at: t0 + 65 + 3600) == .cooldownStarted(
            until: t0 + 65 + 3600 + 65, cooldown: 65, strike: 1))
    }

    /// A burst of signals (several CLOSED/OK/NOTICE answering one burst) is one episode.
    @Test func signalsDuringACooldownDoNotEscalate() {
        var machine = RelayHealthStateMachine()
        #expect(machine.recordRateLimit(url, at: t0) == .cooldownStarted(until: t0 + 65, cooldown: 65, strike: 1))
        #expect(machine.recordRateLimit(url, reason: "rate-limited: again", at: t0 + 1) == .alreadyCoolingDown(until: t0 + 65))
        #expect(machine.recordRateLimit(url, at: t0 + 64) == .alreadyCoolingDown(until: t0 + 65))
        #expect(machine.snapshot(of: url, at: t0 + 2)?.rateLimitStrikes == 1)
        #expect(machine.lastError(of: url) == "rate-limited: again")
        #expect(machine.canAttempt(url, at: t0 + 65))
    }

    /// As in the reference (decisions: Health tracker), the recovery step reports each relay whose cooldown ended, once.
    @Test func tickReportsTheEndOfACooldownOnce() {
        var machine = RelayHealthStateMachine()
        machine.recordRateLimit(url, at: t0)
        machine.recordRateLimit(HealthFixture.other, at: t0 + 10)
        #expect(machine.tick(at: t0 + 30).rateLimitsEnded.isEmpty)
        #expect(machine.tick(at: t0 + 65).rateLimitsEnded == [url])
        #expect(machine.tick(at: t0 + 70).rateLimitsEnded.isEmpty)
        #expect(machine.tick(at: t0 + 80).rateLimitsEnded == [HealthFixture.other])
        #expect(machine.tick(at: t0 + 90) == RelayHealthStateMachine.TickResult())
    }

    /// A rate limit on a live connection leaves the connection alone; afterwards the
    /// relay is healthy again.
    @Test func connectedRelayReturnsToHealthyAfterTheCooldown() {
        var machine = RelayHealthStateMachine()
        machine.recordSuccess(url, at: t0)
        machine.recordRateLimit(url, at: t0 + 10)
        #expect(machine.status(of: url, at: t0 + 11) == .rateLimited)
        #expect(machine.snapshot(of: url, at: t0 + 11)?.connected == true)
        #expect(machine.status(of: url, at: t0 + 75) == .healthy)
    }

    /// The relay asked us to back off; a connection that happened to complete meanwhile
    /// does not cancel that (the reference cleared the flag on success).
    @Test func successDoesNotCancelACooldown() {
        var machine = RelayHealthStateMachine()
        machine.recordRateLimit(url, at: t0)
        machine.recordSuccess(url, at: t0 + 10)
        #expect(machine.status(of: url, at: t0 + 10) == .rateLimited)
        #expect(machine.canAttempt(url, at: t0 + 10) == false)
        #expect(machine.status(of: url, at: t0 + 65) == .healthy)
    }

    /// Both gates apply: the later of failure backoff and cooldown wins (the reference's
    /// "pending rate-limit cooldown is respected").
    @Test func failureDuringACooldownRespectsBothGates() {
        var machine = RelayHealthStateMachine()
        machine.recordRateLimit(url, at: t0)
        let failure = machine.recordFailure(url, kind: .refused, at: t0 + 1)
        #expect(failure == .retry(at: t0 + 6, consecutiveFailures: 1))
        #expect(machine.nextAttemptAt(url, at: t0 + 7) == t0 + 65)
        #expect(machine.canAttempt(url, at: t0 + 64) == false)
        #expect(machine.canAttempt(url, at: t0 + 65))
        #expect(machine.status(of: url, at: t0 + 65) == .degraded)

        var misconfigured = RelayHealthStateMachine()
        misconfigured.recordRateLimit(url, at: t0)
        let longer = misconfigured.recordFailure(url, kind: .tlsCertificate, at: t0 + 1)
        #expect(misconfigured.nextAttemptAt(url, at: t0 + 100) == longer.retryAt)
        #expect(longer.retryAt >= t0 + 1 + 3600)
    }

    @Test func observedMessagesRecordRateLimits() {
        var machine = RelayHealthStateMachine()
        #expect(machine.observeNotice(url, text: "hello there", at: t0) == nil)
        #expect(machine.status(of: url, at: t0) == .disconnected)
        #expect(machine.observeNotice(url, text: "Rate limit exceeded", at: t0) == .cooldownStarted(
            until: t0 + 65, cooldown: 65, strike: 1))
        #expect(machine.lastError(of: url) == "Rate limit exceeded")

        #expect(machine.observeClosed(HealthFixture.other, reason: "error: shutting down", at: t0) == nil)
        #expect(machine.observeClosed(HealthFixture.other, reason: "rate-limited: slow down", at: t0) != nil)
        #expect(machine.isRateLimited(HealthFixture.other, at: t0 + 1))

        let third = "wss://third.example"
        #expect(machine.observeOK(third, accepted: true, message: "rate-limited: but accepted", at: t0) == nil)
        #expect(machine.observeOK(third, accepted: false, message: "duplicate: have it", at: t0) == nil)
        #expect(machine.observeOK(third, accepted: false, message: "rate-limited: 10 events/min", at: t0) != nil)
        #expect(machine.status(of: third, at: t0) == .rateLimited)
    }

    @Test func customCooldowns() {
        let configuration = HealthConfiguration(rateLimitCooldown: 10, maxRateLimitCooldown: 25, rateLimitMemory: 60)
        #expect((1...4).map { configuration.cooldown(forStrike: $0) } == [10, 20, 25, 25])
        #expect(configuration.cooldown(forStrike: 0) == 0)
        var machine = RelayHealthStateMachine(configuration: configuration)
        machine.recordRateLimit(url, at: t0)
        #expect(machine.recordRateLimit(url, at: t0 + 10 + 59) == .cooldownStarted(until: t0 + 89, cooldown: 20, strike: 2))
        #expect(machine.recordRateLimit(url, at: t0 + 89 + 60) == .cooldownStarted(until: t0 + 159, cooldown: 10, strike: 1))
    }
}
