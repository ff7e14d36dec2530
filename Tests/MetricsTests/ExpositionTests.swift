import Health
import Nostr
import Prometheus
import SyncMetrics
import Testing

/// The exposition parses as text format 0.0.4 and carries every required metric with its
/// TYPE and labels (the reference's and the seed's, decisions: Binding metric names and
/// encodings; and the served-relay metrics).
@Suite("Exposition")
struct ExpositionTests {
    /// What a metric family must look like in the exposition.
    struct Expected: Sendable, CustomStringConvertible {
        var name: String
        var type: String
        var labels: Set<String>
        var description: String { name }
    }

    /// Every metric, spelled out literally so a renamed constant cannot hide a renamed metric.
    static let expected: [Expected] = [
        .init(name: "ngit_sync_relay_connected", type: "gauge", labels: ["relay"]),
        .init(name: "ngit_sync_connection_attempts_total", type: "counter", labels: ["relay", "result"]),
        .init(name: "ngit_sync_relay_status", type: "gauge", labels: ["relay"]),
        .init(name: "ngit_sync_relay_failures", type: "gauge", labels: ["relay"]),
        .init(name: "ngit_sync_events_synced_total", type: "counter", labels: []),
        .init(name: "ngit_sync_relays_tracked_total", type: "gauge", labels: []),
        .init(name: "ngit_sync_relays_connected_total", type: "gauge", labels: []),
        .init(name: "ngit_sync_relays_dead_total", type: "gauge", labels: []),
        .init(name: "ngit_sync_naughty_relays_total", type: "gauge", labels: ["category"]),
        .init(name: "ngit_sync_naughty_relay_info", type: "gauge", labels: ["relay", "category", "reason"]),
        .init(name: "ngit_sync_rejected_hot_cache_current", type: "gauge", labels: ["event_type"]),
        .init(name: "ngit_sync_rejected_cold_index_current", type: "gauge", labels: ["event_type"]),
        .init(name: "ngit_sync_rejected_hot_cache_hits_total", type: "counter", labels: ["event_type"]),
        .init(name: "ngit_sync_rejected_hot_cache_misses_total", type: "counter", labels: ["event_type"]),
        .init(name: "ngit_sync_rejected_hot_cache_expired_total", type: "counter", labels: ["event_type"]),
        .init(name: "ngit_sync_rejected_cold_index_expired_total", type: "counter", labels: ["event_type"]),
        .init(name: "ngit_sync_rejected_invalidated_total", type: "counter", labels: ["event_type"]),
        .init(name: "grasp_relay_connections_open", type: "gauge", labels: []),
        .init(name: "grasp_relay_messages_received_total", type: "counter", labels: ["verb"]),
        .init(name: "grasp_relay_events_stored_total", type: "counter", labels: ["kind"]),
        .init(name: "grasp_relay_events_refused_total", type: "counter", labels: ["prefix"]),
        .init(name: "grasp_relay_events_rate_limited_total", type: "counter", labels: ["scope"]),
        .init(name: "grasp_relay_connections_refused_total", type: "counter", labels: ["reason"]),
        .init(name: "grasp_relay_negentropy_sessions_open", type: "gauge", labels: []),
        .init(name: "grasp_relay_negentropy_sessions_opened_total", type: "counter", labels: []),
        .init(name: "grasp_deferred_events", type: "gauge", labels: []),
        .init(name: "grasp_deferred_bytes", type: "gauge", labels: []),
        .init(name: "grasp_deferred_events_total", type: "counter", labels: ["outcome"]),
    ]

    /// A node with something in every family.
    static func busyMetrics() throws -> NodeMetrics {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.apply(
            SyncMetricsSnapshot(
                relays: [MetricsFixtures.relay(MetricsFixtures.alpha, .syncing, .healthy)],
                naughtyRelays: [
                    NaughtyRelayMetric(
                        relay: MetricsFixtures.beta, category: .dnsLookupFailed, reason: "dns error", count: 2)
                ],
                rejectedIndex: RejectedIndexSizes(hot: [.announcement: 1], cold: [.state: 4])))
        metrics.record(.connectionAttempt(MetricsFixtures.alpha, result: .success))
        metrics.record(.eventsSynced(MetricsFixtures.alpha, count: 3))
        metrics.eventStored(kind: 1617)
        metrics.messageReceived(verb: "EVENT")
        metrics.eventRefused(prefix: "blocked")
        metrics.connectionOpened()
        metrics.negentropySessionOpened()
        return metrics
    }

    @Test("every metric has its TYPE line and labels", arguments: expected)
    func metricPresent(_ metric: Expected) throws {
        let parsed = try Self.busyMetrics().parsed()
        #expect(parsed.types[metric.name] == metric.type)
        #expect(parsed.help[metric.name]?.isEmpty == false)
        let samples = parsed.samples(named: metric.name)
        #expect(!samples.isEmpty)
        for sample in samples {
            #expect(Set(sample.labels.keys) == metric.labels)
            #expect(sample.value.isFinite)
        }
    }

    @Test func namesTableListsExactlyTheExpectedMetrics() throws {
        #expect(Set(NodeMetricNames.all) == Set(Self.expected.map(\.name)))
        #expect(NodeMetricNames.all.count == Self.expected.count)
        // And nothing else is exported by a node that did everything.
        let parsed = try Self.busyMetrics().parsed()
        #expect(Set(parsed.types.keys) == Set(Self.expected.map(\.name)))
    }

    @Test func contentTypeIsTextFormat004() {
        #expect(NodeMetrics.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test func freshNodeExportsFixedSeriesAtZero() throws {
        let parsed = try MetricsFixtures.makeMetrics().parsed()
        for name in [
            "ngit_sync_events_synced_total", "ngit_sync_relays_tracked_total", "ngit_sync_relays_connected_total",
            "ngit_sync_relays_dead_total", "grasp_relay_connections_open", "grasp_relay_negentropy_sessions_open",
            "grasp_relay_negentropy_sessions_opened_total",
        ] {
            #expect(parsed.value(name) == 0, "\(name)")
        }
        #expect(
            parsed.labelValues("ngit_sync_naughty_relays_total", "category")
                == ["dns_lookup_failed", "tls_certificate_invalid", "protocol_error"])
        for name in NodeMetricNames.all where name.hasPrefix("ngit_sync_rejected_") {
            #expect(parsed.labelValues(name, "event_type") == ["announcement", "state"], "\(name)")
            #expect(parsed.samples(named: name).allSatisfy { $0.value == 0 })
        }
        #expect(parsed.value("grasp_relay_messages_received_total", ["verb": "NEG-OPEN"]) == 0)
        #expect(parsed.value("grasp_relay_events_refused_total", ["prefix": "rate-limited"]) == 0)
        // No relay yet: no per-relay family at all.
        for name in ["ngit_sync_relay_connected", "ngit_sync_relay_status", "ngit_sync_relay_failures",
                     "ngit_sync_connection_attempts_total", "ngit_sync_naughty_relay_info"] {
            #expect(parsed.samples(named: name).isEmpty, "\(name)")
            #expect(parsed.types[name] == nil, "\(name)")
        }
    }

    @Test func everySampleValueIsANumber() throws {
        // Reference X4: every sample parses as a number, and there is at least one.
        let parsed = try Self.busyMetrics().parsed()
        #expect(parsed.samples.count > 20)
        #expect(parsed.samples.allSatisfy { !$0.value.isNaN })
    }

    @Test func labelValuesAreEscaped() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        let reason = "tls error: \"bad cert\"\nat C:\\certs"
        metrics.apply(
            SyncMetricsSnapshot(naughtyRelays: [
                NaughtyRelayMetric(relay: MetricsFixtures.gamma, category: .tlsCertificateInvalid, reason: reason, count: 1)
            ]))
        let parsed = try metrics.parsed()
        let info = parsed.samples(named: "ngit_sync_naughty_relay_info")
        #expect(info.count == 1)
        #expect(info.first?.labels["reason"] == reason)
        #expect(info.first?.labels["relay"] == "ws://127.0.0.1:7001")
    }

    @Test func relayLabelIsTheNormalisedURL() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.apply(
            SyncMetricsSnapshot(relays: [
                MetricsFixtures.relay(RelayURL("WSS://Beta.Example.com:443/")!, .connected, .healthy)
            ]))
        let parsed = try metrics.parsed()
        #expect(parsed.labelValues("ngit_sync_relay_connected", "relay") == ["wss://beta.example.com"])
    }

    @Test func parserRejectsMalformedText() {
        #expect(throws: ParsedExposition.FormatError.self) { try ParsedExposition("metric{a=\"x} 1\n") }
        #expect(throws: ParsedExposition.FormatError.self) { try ParsedExposition("metric one\n") }
        #expect(throws: ParsedExposition.FormatError.self) {
            try ParsedExposition("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n")
        }
        #expect(throws: ParsedExposition.FormatError.self) { try ParsedExposition("a 1\n# TYPE a gauge\n") }
    }
}
