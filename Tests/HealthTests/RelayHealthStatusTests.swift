import Foundation
import Health
import Testing

/// Metric encodings and the `/status` document.
@Suite("Status encodings")
struct RelayHealthStatusTests {
    /// `ngit_sync_relay_status` 1 healthy, 2 disconnected, 3 degraded, 4 dead, 5 rate_limited
    /// (decisions: Binding metric names and encodings, Ported reference checks).
    @Test func metricEncodings() {
        #expect(RelayHealthStatus.healthy.rawValue == 1)
        #expect(RelayHealthStatus.disconnected.rawValue == 2)
        #expect(RelayHealthStatus.degraded.rawValue == 3)
        #expect(RelayHealthStatus.dead.rawValue == 4)
        #expect(RelayHealthStatus.rateLimited.rawValue == 5)
        #expect(RelayHealthStatus.allCases.map(\.rawValue) == [1, 2, 3, 4, 5])
        #expect(RelayHealthStatus(rawValue: 0) == nil)
        #expect(RelayHealthStatus(rawValue: 6) == nil)
    }

    @Test func names() {
        #expect(RelayHealthStatus.allCases.map(\.name) == ["healthy", "disconnected", "degraded", "dead", "rate_limited"])
        for status in RelayHealthStatus.allCases { #expect(RelayHealthStatus(name: status.name) == status) }
        #expect(RelayHealthStatus(name: "ratelimited") == nil)
    }

    @Test func codableUsesNamesAndAcceptsNumbers() throws {
        let encoded = try JSONEncoder().encode([RelayHealthStatus.rateLimited, .dead])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["rate_limited","dead"]"#)
        let decoded = try JSONDecoder().decode([RelayHealthStatus].self, from: Data(#"["degraded", 5, 1]"#.utf8))
        #expect(decoded == [.degraded, .rateLimited, .healthy])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([RelayHealthStatus].self, from: Data(#"["bogus"]"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([RelayHealthStatus].self, from: Data("[9]".utf8))
        }
    }

    @Test func failureKindLabels() {
        #expect(ConnectionFailureKind.allCases.map(\.rawValue)
            == ["dns", "tls_certificate", "protocol_error", "refused", "timeout", "closed_by_peer", "other"])
    }

    @Test func snapshotRoundTripsThroughJSON() throws {
        let t0 = HealthFixture.t0
        var machine = RelayHealthStateMachine()
        machine.recordAttempt(HealthFixture.url, at: t0)
        machine.recordFailure(HealthFixture.url, kind: .dns, message: "dns error: no host", at: t0)
        machine.recordRateLimit(HealthFixture.url, reason: "rate-limited: wait", at: t0 + 1)
        let snapshot = try #require(machine.snapshot(of: HealthFixture.url, at: t0 + 2))
        let data = try JSONEncoder().encode(snapshot)
        let json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["status"] as? String == "rate_limited")
        #expect(json["consecutiveFailures"] as? Int == 1)
        #expect(json["lastFailureKind"] as? String == "dns")
        #expect(json["misconfiguration"] as? String == "dns_lookup_failed")
        #expect(json["lastError"] as? String == "rate-limited: wait")
        #expect(json["rateLimitedUntil"] as? Double == t0 + 66)
        #expect(try JSONDecoder().decode(RelayHealthSnapshot.self, from: data) == snapshot)
    }
}
