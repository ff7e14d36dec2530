import Foundation
import Health
import Nostr
import SyncMetrics
import Testing

/// The `GET /status` JSON document.
@Suite("Status document")
struct RelayStatusDocumentTests {
    typealias F = MetricsFixtures

    static let snapshot = SyncMetricsSnapshot(
        relays: [
            RelayMetricsSnapshot(
                url: F.beta, connectionStatus: .connectedHistoricSyncFailures, health: .rateLimited,
                consecutiveFailures: 0, nextRetryAt: 1_700_000_065, confirmedRepos: 12, confirmedRootEvents: 40,
                pendingBatches: 0, lastError: "rate-limited: slow down"),
            RelayMetricsSnapshot(
                url: F.alpha, connectionStatus: .syncing, health: .degraded, consecutiveFailures: 2,
                confirmedRepos: 3, confirmedRootEvents: 7, pendingBatches: 5),
            RelayMetricsSnapshot(
                url: F.gamma, connectionStatus: .disconnected, health: .dead, consecutiveFailures: 31,
                nextRetryAt: 1_700_086_400, lastError: "connection refused"),
        ],
        naughtyRelays: [NaughtyRelayMetric(relay: F.gamma, category: .protocolError, reason: "invalid frame", count: 3)],
        rejectedIndex: RejectedIndexSizes(hot: [.state: 1], cold: [.announcement: 9, .state: 2]))

    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func relaysUseSeedNamesAndHealthNames() throws {
        let document = RelayStatusDocument(snapshot: Self.snapshot, generatedAt: 1_700_000_000)
        let root = try Self.json(try document.jsonData())
        let relays = try #require(root["relays"] as? [[String: Any]])
        #expect(relays.map { $0["url"] as? String } == ["ws://127.0.0.1:7001", "wss://alpha.example.com", "wss://beta.example.com"])
        #expect(relays.map { $0["status"] as? String } == ["Disconnected", "Syncing", "ConnectedHistoricSyncFailures"])
        #expect(relays.map { $0["status_code"] as? Int } == [0, 2, 4])
        #expect(relays.map { $0["health"] as? String } == ["dead", "degraded", "rate_limited"])
        #expect(relays.map { $0["health_code"] as? Int } == [4, 3, 5])
        #expect(relays.map { $0["consecutive_failures"] as? Int } == [31, 2, 0])
        #expect(relays.map { $0["confirmed_repos"] as? Int } == [0, 3, 12])
        #expect(relays.map { $0["confirmed_root_events"] as? Int } == [0, 7, 40])
        #expect(relays.map { $0["pending_batches"] as? Int } == [0, 5, 0])
        #expect(relays[2]["next_retry_at"] as? Double == 1_700_000_065)
        #expect(relays[0]["last_error"] as? String == "connection refused")
        // Sorted by normalised URL; absent values are explicit nulls, not missing keys.
        #expect(relays[1]["next_retry_at"] is NSNull)
        #expect(relays[1]["last_error"] is NSNull)
    }

    @Test func everySeedStatusNameEncodes() throws {
        let names = RelayConnectionStatus.allCases.map { status in
            RelayMetricsSnapshot(url: F.alpha, connectionStatus: status, health: .healthy)
        }.map { try? JSONSerialization.jsonObject(with: JSONEncoder().encode($0)) as? [String: Any] }
            .map { $0?["status"] as? String }
        #expect(names == ["Disconnected", "Connecting", "Syncing", "Connected", "ConnectedHistoricSyncFailures", "Disconnecting"])
    }

    @Test func totals() throws {
        let document = RelayStatusDocument(snapshot: Self.snapshot, generatedAt: 1_700_000_000)
        let root = try Self.json(try document.jsonData())
        #expect(root["generated_at"] as? Double == 1_700_000_000)
        let totals = try #require(root["totals"] as? [String: Any])
        #expect(totals["tracked_relays"] as? Int == 3)
        #expect(totals["connected_relays"] as? Int == 2)
        #expect(totals["dead_relays"] as? Int == 1)
        #expect(totals["naughty_relays"] as? Int == 1)
        #expect(
            totals["relays_by_status"] as? [String: Int] == [
                "Disconnected": 1, "Connecting": 0, "Syncing": 1, "Connected": 0,
                "ConnectedHistoricSyncFailures": 1, "Disconnecting": 0,
            ])
        #expect(
            totals["relays_by_health"] as? [String: Int] == [
                "healthy": 0, "disconnected": 0, "degraded": 1, "dead": 1, "rate_limited": 1,
            ])
        #expect(totals["rejected_hot_cache"] as? [String: Int] == ["announcement": 0, "state": 1])
        #expect(totals["rejected_cold_index"] as? [String: Int] == ["announcement": 9, "state": 2])
    }

    @Test func encodesWithSortedKeysAndExactBytes() throws {
        let snapshot = SyncMetricsSnapshot(relays: [
            RelayMetricsSnapshot(url: F.alpha, connectionStatus: .syncing, health: .degraded, consecutiveFailures: 1)
        ])
        let text = String(decoding: try RelayStatusDocument(snapshot: snapshot, generatedAt: 5).jsonData(), as: UTF8.self)
        let expectedRelay =
            #"{"confirmed_repos":0,"confirmed_root_events":0,"consecutive_failures":1,"health":"degraded","health_code":3,"#
            + #""last_error":null,"next_retry_at":null,"pending_batches":0,"status":"Syncing","status_code":2,"#
            + #""sync_mode":null,"url":"wss://alpha.example.com"}"#
        #expect(text.hasPrefix(#"{"generated_at":5,"relays":["# + expectedRelay + #"],"totals":{"connected_relays":1,"#))
        #expect(text.contains(#""relays_by_health":{"dead":0,"degraded":1,"disconnected":0,"healthy":0,"rate_limited":0}"#))
        #expect(text.hasSuffix(#""tracked_relays":1}}"#))
    }

    @Test func roundTrips() throws {
        let document = RelayStatusDocument(snapshot: Self.snapshot, generatedAt: 1_700_000_000.5)
        let decoded = try RelayStatusDocument.decode(from: try document.jsonData(prettyPrinted: true))
        #expect(decoded == document)
        #expect(try decoded.jsonData() == document.jsonData())
    }

    @Test func unknownStatusNameIsRejected() {
        let json = #"{"url":"wss://a","status":"Degraded","health":"healthy","consecutive_failures":0,"#
            + #""confirmed_repos":0,"confirmed_root_events":0,"pending_batches":0}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RelayMetricsSnapshot.self, from: Data(json.utf8)) }
    }

    @Test func emptyNode() throws {
        let root = try Self.json(try RelayStatusDocument(snapshot: SyncMetricsSnapshot(), generatedAt: 0).jsonData())
        #expect((root["relays"] as? [Any])?.isEmpty == true)
        #expect((root["totals"] as? [String: Any])?["tracked_relays"] as? Int == 0)
        #expect(RelayStatusDocument.contentType == "application/json; charset=utf-8")
    }
}
