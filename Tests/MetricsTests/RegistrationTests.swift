import Prometheus
import SyncMetrics
import Testing

/// Registering the node's metrics twice on one registry is refused, as in the reference
/// (decisions: Binding metric names and encodings, Ported reference checks).
@Suite("Registration")
struct RegistrationTests {
    @Test func secondNodeMetricsOnOneRegistryThrows() throws {
        let registry = PrometheusCollectorRegistry()
        let first = try NodeMetrics(registry: registry)
        #expect(throws: NodeMetricsError.self) { try NodeMetrics(registry: registry) }
        do throws(NodeMetricsError) {
            _ = try NodeMetrics(registry: registry)
            Issue.record("registering twice succeeded")
        } catch .alreadyRegistered(let names) {
            #expect(names.contains("ngit_sync_relays_tracked_total"))
            #expect(names.contains("ngit_sync_events_synced_total"))
            #expect(names.allSatisfy(NodeMetricNames.all.contains))
        }
        // The first instance is unaffected.
        first.record(.eventsSynced(MetricsFixtures.alpha, count: 1))
        #expect(try first.parsed().value("ngit_sync_events_synced_total") == 1)
    }

    @Test func foreignMetricWithOneOfOurNamesIsDetected() throws {
        let registry = PrometheusCollectorRegistry()
        _ = registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "grasp_relay_connections_open", unitName: "", helpText: "other"))
        #expect(throws: NodeMetricsError.alreadyRegistered(["grasp_relay_connections_open"])) {
            try NodeMetrics(registry: registry)
        }
    }

    @Test func otherMetricsOnTheRegistryAreFineAndExported() throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "hb_requests", unitName: "", helpText: "x")).set(to: 4)
        let metrics = try NodeMetrics(registry: registry)
        #expect(try metrics.parsed().value("hb_requests") == 4)
    }

    @Test func releasingTheOwnerFreesTheNames() throws {
        let registry = PrometheusCollectorRegistry()
        var first: NodeMetrics? = try NodeMetrics(registry: registry)
        first?.apply(SyncMetricsSnapshot(relays: [MetricsFixtures.relay(MetricsFixtures.alpha, .connected, .healthy)]))
        first = nil
        #expect(try ParsedExposition(registry.emitToString()).samples.isEmpty)
        let second = try NodeMetrics(registry: registry)
        #expect(try second.parsed().value("ngit_sync_relays_tracked_total") == 0)
    }

    @Test func separateRegistriesAreIndependent() throws {
        let one = try MetricsFixtures.makeMetrics()
        let two = try MetricsFixtures.makeMetrics()
        one.record(.eventsSynced(MetricsFixtures.alpha, count: 3))
        #expect(try one.parsed().value("ngit_sync_events_synced_total") == 3)
        #expect(try two.parsed().value("ngit_sync_events_synced_total") == 0)
    }

    @Test func errorDescriptionNamesTheMetrics() {
        let error = NodeMetricsError.alreadyRegistered(["a", "b"])
        #expect(error.description == "metrics already registered on this registry: a, b")
    }
}
