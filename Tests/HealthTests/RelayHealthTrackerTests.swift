import Nostr
import Health
import Testing

/// The actor wrapper: reads the injected clock and random source, forwards to the machine.
@Suite("Relay health tracker actor")
struct RelayHealthTrackerTests {
    let url = HealthFixture.url
    let t0 = HealthFixture.t0

    @Test func failureBackoffFollowsTheInjectedClock() async {
        let clock = ManualClock()
        let tracker = RelayHealthTracker(now: { clock.now() }, random: SplitMix64(seed: 1))
        await tracker.register(url)
        #expect(await tracker.status(of: url) == .disconnected)
        await tracker.recordAttempt(url)
        let action = await tracker.recordFailure(url, kind: .timeout, message: "connect timed out after 5 s")
        guard case .retry(let at, 1) = action else {
            Issue.record("expected a first-failure retry, got \(action)")
            return
        }
        #expect(at >= t0 + 4 && at <= t0 + 6)
        #expect(await tracker.canAttempt(url) == false)
        #expect(await tracker.nextAttemptAt(url) == at)
        #expect(await tracker.status(of: url) == .degraded)
        #expect(await tracker.consecutiveFailures(of: url) == 1)
        #expect(await tracker.lastError(of: url) == "connect timed out after 5 s")
        clock.set(at)
        #expect(await tracker.canAttempt(url))
        #expect(await tracker.nextAttemptAt(url) == nil)
    }

    /// The jitter comes from the injected generator: the same seed gives the same
    /// schedule, another seed another one, and all stay within ±20 %.
    @Test func seededJitterIsReproducible() async {
        func schedule(seed: UInt64) async -> [Double] {
            let clock = ManualClock()
            let tracker = RelayHealthTracker(now: { clock.now() }, random: SplitMix64(seed: seed))
            var delays: [Double] = []
            for _ in 0..<8 {
                let start = clock.now()
                let action = await tracker.recordFailure(url, kind: .refused)
                delays.append(action.retryAt - start)
                clock.set(action.retryAt)
            }
            return delays
        }
        let first = await schedule(seed: 2024)
        let again = await schedule(seed: 2024)
        let other = await schedule(seed: 2025)
        #expect(first == again)
        #expect(first != other)
        let nominal: [Double] = [5, 10, 20, 40, 80, 160, 320, 640]
        for (delay, expected) in zip(first + other, nominal + nominal) {
            #expect(delay >= expected * 0.8 && delay <= expected * 1.2)
        }
        #expect(first != nominal)
    }

    @Test func systemRandomTrackerStaysWithinBounds() async {
        let clock = ManualClock()
        let tracker = RelayHealthTracker(now: { clock.now() })
        let action = await tracker.recordFailure(url, kind: .timeout)
        #expect(action.retryAt >= t0 + 4 && action.retryAt <= t0 + 6)
    }

    @Test func fullLifecycleInVirtualTime() async {
        let clock = ManualClock()
        let tracker = RelayHealthTracker(now: { clock.now() }, random: SplitMix64(seed: 3))
        // Fail at every permitted instant until dead.
        var action = await tracker.recordFailure(url, errorText: "Connection refused")
        while clock.now() - t0 < 86_400 {
            clock.set(action.retryAt)
            action = await tracker.recordFailure(url, errorText: "Connection refused")
        }
        #expect(await tracker.status(of: url) == .dead)
        #expect(await tracker.deadRelays() == [url])
        #expect(action == .retryDead(at: clock.now() + 86_400))
        // The daily attempt succeeds.
        clock.set(action.retryAt)
        guard case .recoveredFromDead(let stableAt) = await tracker.recordSuccess(url) else {
            Issue.record("expected recovery from dead")
            return
        }
        #expect(stableAt == clock.now() + 300)
        #expect(await tracker.status(of: url) == .degraded)
        #expect(await tracker.deadRelays().isEmpty)
        clock.advance(by: 299)
        #expect(await tracker.tick().stabilized.isEmpty)
        clock.advance(by: 1)
        #expect(await tracker.tick().stabilized == [url])
        #expect(await tracker.status(of: url) == .healthy)
        #expect(await tracker.consecutiveFailures(of: url) == 0)
        #expect(await tracker.statusCounts()[.healthy] == 1)
    }

    @Test func rateLimitSignalsThroughTheActor() async {
        let clock = ManualClock()
        let tracker = RelayHealthTracker(now: { clock.now() }, random: SplitMix64(seed: 4))
        await tracker.recordSuccess(url)
        #expect(await tracker.observeNotice(url, text: "welcome!") == nil)
        #expect(await tracker.observeClosed(url, reason: "rate-limited: slow down") == .cooldownStarted(
            until: t0 + 65, cooldown: 65, strike: 1))
        #expect(await tracker.observeOK(url, accepted: false, message: "rate-limited: again") == .alreadyCoolingDown(
            until: t0 + 65))
        #expect(await tracker.isRateLimited(url))
        #expect(await tracker.rateLimitedUntil(url) == t0 + 65)
        #expect(await tracker.status(of: url) == .rateLimited)
        clock.advance(by: 65)
        #expect(await tracker.isRateLimited(url) == false)
        #expect(await tracker.tick().rateLimitsEnded == [url])
        #expect(await tracker.status(of: url) == .healthy)
        clock.advance(by: 100)
        #expect(await tracker.observeNotice(url, text: "Too many requests") == .cooldownStarted(
            until: t0 + 165 + 130, cooldown: 130, strike: 2))
        #expect(await tracker.recordRateLimit(url) == .alreadyCoolingDown(until: t0 + 295))
    }

    @Test func snapshotsAndNaughtyMetricsThroughTheActor() async {
        let clock = ManualClock()
        let tracker = RelayHealthTracker(
            configuration: HealthConfiguration(naughtyListExpiry: 600), now: { clock.now() }, random: SplitMix64(seed: 5))
        #expect(tracker.configuration.naughtyListExpiry == 600)
        await tracker.recordFailure("wss://b.example", kind: .tlsCertificate, message: "certificate expired")
        await tracker.recordFailure("wss://a.example", kind: .timeout)
        #expect(await tracker.trackedRelays == ["wss://a.example", "wss://b.example"])
        #expect(await tracker.snapshots().map(\.url) == ["wss://a.example", "wss://b.example"])
        #expect(await tracker.snapshot(of: "wss://b.example")?.misconfiguration == .tlsCertificateInvalid)
        #expect(await tracker.naughtyCounts() == [.dnsLookupFailed: 0, .tlsCertificateInvalid: 1, .protocolError: 0])
        #expect(await tracker.naughtyEntries().map(\.reason) == ["certificate expired"])
        clock.advance(by: 600)
        #expect(await tracker.tick().naughtyExpired == ["wss://b.example"])
        #expect(await tracker.naughtyEntries().isEmpty)
        await tracker.recordDisconnect("wss://a.example")
        await tracker.remove("wss://b.example")
        #expect(await tracker.trackedRelays == ["wss://a.example"])
        #expect(await tracker.stateMachine.trackedRelays == ["wss://a.example"])
    }

    /// Concurrent callers are serialised by the actor: no failure is lost.
    @Test func concurrentFailuresAreAllCounted() async {
        let clock = ManualClock()
        let tracker = RelayHealthTracker(now: { clock.now() }, random: SplitMix64(seed: 6))
        let relays = (0..<20).map { "wss://relay\($0).example" }
        await withTaskGroup(of: Void.self) { group in
            for relay in relays {
                for _ in 0..<5 {
                    group.addTask { await tracker.recordFailure(relay, kind: .closedByPeer) }
                }
            }
        }
        for relay in relays {
            #expect(await tracker.consecutiveFailures(of: relay) == 5)
        }
        #expect(await tracker.statusCounts()[.degraded] == 20)
    }
}
