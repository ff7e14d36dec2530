import Health
import Nostr
import SyncMetrics
import Testing

/// Gauges are derived from the state snapshot on every tick and never left stale
/// (decisions: Gauges derived from state).
@Suite("Derived each tick")
struct DerivedStateTests {
    typealias F = MetricsFixtures

    @Test func relayThatChangesStateShowsTheNewValue() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connecting, .disconnected)]))
        var parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relay_connected", ["relay": "wss://alpha.example.com"]) == 1)
        #expect(parsed.value("ngit_sync_relay_status", ["relay": "wss://alpha.example.com"]) == 2)

        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .disconnected, .degraded, failures: 3)]))
        parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relay_connected", ["relay": "wss://alpha.example.com"]) == 0)
        #expect(parsed.value("ngit_sync_relay_status", ["relay": "wss://alpha.example.com"]) == 3)
        #expect(parsed.value("ngit_sync_relay_failures", ["relay": "wss://alpha.example.com"]) == 3)

        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connected, .healthy, failures: 0)]))
        parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relay_connected", ["relay": "wss://alpha.example.com"]) == 3)
        #expect(parsed.value("ngit_sync_relay_status", ["relay": "wss://alpha.example.com"]) == 1)
        // Failures go back down: the gauge is set, not incremented (decisions: Gauges
        // derived from state).
        #expect(parsed.value("ngit_sync_relay_failures", ["relay": "wss://alpha.example.com"]) == 0)
    }

    @Test func droppedRelayLosesEverySeries() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(
            SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connected, .healthy), F.relay(F.beta, .syncing, .degraded, failures: 2)]))
        metrics.record(.connectionAttempt(F.beta, result: .failure))
        metrics.record(.connectionAttempt(F.beta, result: .success))
        var parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_connection_attempts_total", ["relay": "wss://beta.example.com", "result": "failure"]) == 1)

        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connected, .healthy)]))
        parsed = try metrics.parsed()
        for name in ["ngit_sync_relay_connected", "ngit_sync_relay_status", "ngit_sync_relay_failures",
                     "ngit_sync_connection_attempts_total"] {
            #expect(parsed.labelValues(name, "relay") == ["wss://alpha.example.com"], "\(name)")
        }
        #expect(!parsed.samples.contains { $0.labels["relay"] == "wss://beta.example.com" })

        // An empty snapshot removes the per-relay families entirely.
        metrics.apply(SyncMetricsSnapshot())
        parsed = try metrics.parsed()
        #expect(!parsed.samples.contains { $0.labels["relay"] != nil })
        #expect(parsed.types["ngit_sync_relay_connected"] == nil)
        #expect(parsed.value("ngit_sync_relays_tracked_total") == 0)
    }

    @Test func returningRelayStartsAfresh() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connected, .healthy)]))
        metrics.record(.connectionAttempt(F.alpha, result: .success))
        metrics.apply(SyncMetricsSnapshot())
        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connecting, .disconnected)]))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relay_connected", ["relay": "wss://alpha.example.com"]) == 1)
        #expect(parsed.value("ngit_sync_connection_attempts_total", ["relay": "wss://alpha.example.com", "result": "success"]) == 0)
        #expect(parsed.value("ngit_sync_connection_attempts_total", ["relay": "wss://alpha.example.com", "result": "failure"]) == 0)
    }

    @Test func totalsAreRecomputedEveryTick() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(
            SyncMetricsSnapshot(relays: [
                F.relay(F.alpha, .syncing, .healthy),
                F.relay(F.beta, .connectedHistoricSyncFailures, .degraded),
                F.relay(F.gamma, .disconnected, .dead, failures: 40),
            ]))
        var parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relays_tracked_total") == 3)
        #expect(parsed.value("ngit_sync_relays_connected_total") == 2)
        #expect(parsed.value("ngit_sync_relays_dead_total") == 1)

        // Alpha disconnects, gamma recovers, beta is dropped: every total follows, down too.
        metrics.apply(
            SyncMetricsSnapshot(relays: [
                F.relay(F.alpha, .disconnected, .degraded, failures: 1),
                F.relay(F.gamma, .connected, .healthy),
            ]))
        parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relays_tracked_total") == 2)
        #expect(parsed.value("ngit_sync_relays_connected_total") == 1)
        #expect(parsed.value("ngit_sync_relays_dead_total") == 0)
    }

    @Test func connectingAndDisconnectingDoNotCountAsConnected() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(
            SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connecting, .healthy), F.relay(F.beta, .disconnecting, .healthy)]))
        #expect(try metrics.parsed().value("ngit_sync_relays_connected_total") == 0)
    }

    @Test func duplicateURLsCountOnceAndLastWins() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(
            SyncMetricsSnapshot(relays: [
                F.relay(F.alpha, .connecting, .healthy),
                F.relay(RelayURL("wss://ALPHA.example.com/")!, .connected, .healthy),
            ]))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relays_tracked_total") == 1)
        #expect(parsed.samples(named: "ngit_sync_relay_connected").map(\.value) == [3])
    }

    @Test func naughtyListIsRebuilt() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(
            SyncMetricsSnapshot(naughtyRelays: [
                NaughtyRelayMetric(relay: F.alpha, category: .dnsLookupFailed, reason: "dns error", count: 1),
                NaughtyRelayMetric(relay: F.beta, category: .dnsLookupFailed, reason: "getaddrinfo failed", count: 4),
                NaughtyRelayMetric(relay: F.gamma, category: .protocolError, reason: "invalid frame", count: 2),
            ]))
        var parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "dns_lookup_failed"]) == 2)
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "protocol_error"]) == 1)
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "tls_certificate_invalid"]) == 0)
        #expect(
            parsed.value(
                "ngit_sync_naughty_relay_info",
                ["relay": "wss://beta.example.com", "category": "dns_lookup_failed", "reason": "getaddrinfo failed"]) == 4)

        // Beta's reason changes, gamma expires: no series keeps the old reason or relay.
        metrics.apply(
            SyncMetricsSnapshot(naughtyRelays: [
                NaughtyRelayMetric(relay: F.alpha, category: .dnsLookupFailed, reason: "dns error", count: 1),
                NaughtyRelayMetric(relay: F.beta, category: .dnsLookupFailed, reason: "name or service not known", count: 5),
            ]))
        parsed = try metrics.parsed()
        let info = parsed.samples(named: "ngit_sync_naughty_relay_info")
        #expect(info.count == 2)
        #expect(!info.contains { $0.labels["reason"] == "getaddrinfo failed" })
        #expect(!info.contains { $0.labels["relay"] == "ws://127.0.0.1:7001" })
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "protocol_error"]) == 0)
    }

    @Test func rejectedIndexGaugesArePerType() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(
            SyncMetricsSnapshot(rejectedIndex: RejectedIndexSizes(hot: [.announcement: 2, .state: 1], cold: [.announcement: 7])))
        var parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_rejected_hot_cache_current", ["event_type": "announcement"]) == 2)
        #expect(parsed.value("ngit_sync_rejected_hot_cache_current", ["event_type": "state"]) == 1)
        #expect(parsed.value("ngit_sync_rejected_cold_index_current", ["event_type": "announcement"]) == 7)
        #expect(parsed.value("ngit_sync_rejected_cold_index_current", ["event_type": "state"]) == 0)

        metrics.apply(SyncMetricsSnapshot())
        parsed = try metrics.parsed()
        #expect(parsed.samples(named: "ngit_sync_rejected_hot_cache_current").allSatisfy { $0.value == 0 })
        #expect(parsed.samples(named: "ngit_sync_rejected_cold_index_current").allSatisfy { $0.value == 0 })
    }

    @Test func statusEventsShowBeforeTheTickAndTheTickWins() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connecting, .healthy)]))
        metrics.record(.connectionStatusChanged(F.alpha, .syncing))
        metrics.record(.healthStatusChanged(F.alpha, .rateLimited))
        var parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relay_connected", ["relay": "wss://alpha.example.com"]) == 2)
        #expect(parsed.value("ngit_sync_relay_status", ["relay": "wss://alpha.example.com"]) == 5)

        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connected, .healthy)]))
        parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relay_connected", ["relay": "wss://alpha.example.com"]) == 3)
        #expect(parsed.value("ngit_sync_relay_status", ["relay": "wss://alpha.example.com"]) == 1)
    }

    @Test func relayRemovedEventDropsSeriesAtOnce() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connected, .healthy), F.relay(F.beta, .connected, .healthy)]))
        metrics.record(.relayRemoved(F.beta))
        let parsed = try metrics.parsed()
        #expect(parsed.labelValues("ngit_sync_relay_connected", "relay") == ["wss://alpha.example.com"])
        #expect(parsed.labelValues("ngit_sync_connection_attempts_total", "relay") == ["wss://alpha.example.com"])
    }

    @Test func snapshotTotalsMatchTheirDefinitions() {
        let snapshot = SyncMetricsSnapshot(
            relays: [
                F.relay(F.alpha, .syncing, .rateLimited), F.relay(F.beta, .connected, .dead),
                F.relay(F.gamma, .connectedHistoricSyncFailures, .dead),
            ],
            naughtyRelays: [NaughtyRelayMetric(relay: F.gamma, category: .tlsCertificateInvalid, reason: "x", count: 1)])
        #expect(snapshot.trackedTotal == 3)
        #expect(snapshot.connectedTotal == 3)
        #expect(snapshot.deadTotal == 2)
        #expect(snapshot.naughtyCounts == [.dnsLookupFailed: 0, .tlsCertificateInvalid: 1, .protocolError: 0])
    }
}
