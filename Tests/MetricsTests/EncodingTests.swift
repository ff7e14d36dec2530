import Health
import Nostr
import SyncMetrics
import Testing

/// The binding gauge encodings of the seed and the reference (decisions: Binding metric names
/// and encodings, Ported reference checks).
@Suite("Encodings")
struct EncodingTests {
    /// `ngit_sync_relay_connected`: 0 disconnected … 5 disconnecting.
    static let connectionEncodings: [(RelayConnectionStatus, Double)] = [
        (.disconnected, 0), (.connecting, 1), (.syncing, 2), (.connected, 3),
        (.connectedHistoricSyncFailures, 4), (.disconnecting, 5),
    ]

    /// `ngit_sync_relay_status`: 1 healthy … 5 rate_limited.
    static let healthEncodings: [(RelayHealthStatus, Double)] = [
        (.healthy, 1), (.disconnected, 2), (.degraded, 3), (.dead, 4), (.rateLimited, 5),
    ]

    @Test(arguments: connectionEncodings)
    func connectionStatusGaugeValue(_ status: RelayConnectionStatus, _ expected: Double) throws {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.apply(SyncMetricsSnapshot(relays: [MetricsFixtures.relay(MetricsFixtures.alpha, status, .healthy)]))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relay_connected", ["relay": "wss://alpha.example.com"]) == expected)
    }

    @Test(arguments: healthEncodings)
    func healthStatusGaugeValue(_ health: RelayHealthStatus, _ expected: Double) throws {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.apply(SyncMetricsSnapshot(relays: [MetricsFixtures.relay(MetricsFixtures.alpha, .connected, health)]))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_relay_status", ["relay": "wss://alpha.example.com"]) == expected)
    }

    @Test func allStatusesSideBySide() throws {
        // One relay per connection status in one snapshot: every encoding at once.
        let metrics = try MetricsFixtures.makeMetrics()
        let relays = Self.connectionEncodings.enumerated().map { index, pair in
            MetricsFixtures.relay(
                RelayURL("wss://r\(index).example.com")!, pair.0,
                Self.healthEncodings[index % Self.healthEncodings.count].0)
        }
        metrics.apply(SyncMetricsSnapshot(relays: relays))
        let parsed = try metrics.parsed()
        let connected = parsed.samples(named: "ngit_sync_relay_connected").map(\.value).sorted()
        #expect(connected == [0, 1, 2, 3, 4, 5])
        let health = parsed.samples(named: "ngit_sync_relay_status").map(\.value).sorted()
        #expect(health == [1, 1, 2, 3, 4, 5])
    }

    @Test func connectionAttemptResultLabels() {
        #expect(ConnectionAttemptResult.allCases.map(\.rawValue) == ["success", "failure"])
        #expect(RejectedIndexEventType.allCases.map(\.rawValue) == ["announcement", "state"])
    }
}
