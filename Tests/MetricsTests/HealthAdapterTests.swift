import Health
import Nostr
import SyncMetrics
import Testing

/// The convenience initialisers that take the Health stage's values.
@Suite("Health adapters")
struct HealthAdapterTests {
    @Test func relaySnapshotFromTheHealthTracker() async throws {
        let url = MetricsFixtures.alpha.description
        let tracker = RelayHealthTracker(now: { 1_700_000_000 })
        await tracker.register(url)
        await tracker.recordAttempt(url)
        await tracker.recordFailure(url, kind: .refused, message: "connection refused")
        let health = try #require(await tracker.snapshot(of: url))

        let relay = RelayMetricsSnapshot(
            url: MetricsFixtures.alpha, connectionStatus: .disconnected, health: health,
            confirmedRepos: 2, confirmedRootEvents: 1, pendingBatches: 0)
        #expect(relay.health == health.status)
        #expect(relay.health == .degraded)
        #expect(relay.consecutiveFailures == 1)
        #expect(relay.nextRetryAt == health.nextAttemptAt)
        #expect(relay.nextRetryAt != nil)
        #expect(relay.lastError == health.lastError)
        #expect(relay.confirmedRepos == 2)

        let metrics = try MetricsFixtures.makeMetrics()
        metrics.apply(SyncMetricsSnapshot(relays: [relay]))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relay_status", ["relay": url]) == 3)
        #expect(parsed.value("ngit_sync_relay_failures", ["relay": url]) == 1)
    }

    @Test func naughtyEntryFromTheNaughtyList() throws {
        var list = NaughtyList()
        list.record("WSS://Alpha.example.com/", category: .dnsLookupFailed, reason: "dns error", at: 10)
        list.record("WSS://Alpha.example.com/", category: .dnsLookupFailed, reason: "getaddrinfo", at: 20)
        list.record("not a relay url", category: .protocolError, reason: "invalid frame", at: 20)
        let metrics = list.listed(at: 30).map(NaughtyRelayMetric.init)
        let alpha = try #require(metrics.first { $0.category == .dnsLookupFailed })
        #expect(alpha.relay == "wss://alpha.example.com")
        #expect(alpha.reason == "getaddrinfo")
        #expect(alpha.count == 2)
        #expect(metrics.contains { $0.relay == "not a relay url" })
    }
}
