import Health
import Nostr
import Prometheus
import SyncMetrics

/// Relays, snapshots and a parse helper shared by the metrics tests.
enum MetricsFixtures {
    static let alpha = RelayURL("wss://alpha.example.com")!
    static let beta = RelayURL("wss://beta.example.com/")!
    static let gamma = RelayURL("ws://127.0.0.1:7001")!

    /// A fresh ``NodeMetrics`` on a fresh registry.
    static func makeMetrics() throws -> NodeMetrics {
        try NodeMetrics(registry: PrometheusCollectorRegistry())
    }

    /// A relay snapshot with the given states.
    static func relay(
        _ url: RelayURL, _ status: RelayConnectionStatus, _ health: RelayHealthStatus, failures: Int = 0
    ) -> RelayMetricsSnapshot {
        RelayMetricsSnapshot(url: url, connectionStatus: status, health: health, consecutiveFailures: failures)
    }
}

extension NodeMetrics {
    /// The current exposition, parsed (fails the calling test when malformed).
    func parsed() throws -> ParsedExposition {
        try ParsedExposition(exposition())
    }
}
