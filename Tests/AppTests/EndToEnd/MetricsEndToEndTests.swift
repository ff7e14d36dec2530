import Foundation
import Nostr
import Testing
import TransportTestKit

/// `/metrics` of a running node after the naughty list and the rejected-events index
/// changed: both reach the exposition through the node's event stream, not only the tick.
@Suite("End-to-end: metrics", .timeLimit(.minutes(3)))
struct MetricsEndToEndTests {
    @Test("a relay answering the upgrade with 404 is listed as protocol_error; a rejected state re-processed by its announcement counts a hit, an invalidation and a miss")
    func naughtyListAndRejectedIndexReachMetrics() async throws {
        // Answers every WebSocket upgrade with a plain 404: a failed handshake, which is
        // persistent misconfiguration (naughty at the first failure, next try in an hour).
        let refusing = try await ScriptedWebSocketServer.start { peer, _ in
            _ = try await peer.readRequest()
            try await peer.writeRaw("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
        let relay = refusing.url.description
        do {
            try await Self.naughtyAndRejected(relay: relay)
        } catch {
            await refusing.stop()
            throw error
        }
        await refusing.stop()
    }

    /// The scenario of the test above, against the refusing relay at `relay`.
    static func naughtyAndRejected(relay: String) async throws {
        try await E2E.scenario("metrics-naughty-rejected") { scenario in
            let port = try E2EEnvironment.freePort()
            let node = try await scenario.node("A", port: port, bootstrap: [relay])

            try await E2E.waitUntil("\(relay) on the naughty list in /metrics") {
                let metrics = try await node.metrics()
                return metrics.value("ngit_sync_naughty_relays_total", ["category": "protocol_error"]) == 1
                    ? nil : metrics.lines(prefix: "ngit_sync_naughty")
            }
            let listed = try await node.metrics()
            #expect(listed.value("ngit_sync_naughty_relays_total", ["category": "dns_lookup_failed"]) == 0)
            #expect(listed.value("ngit_sync_naughty_relays_total", ["category": "tls_certificate_invalid"]) == 0)
            let info = listed.samples.filter { $0.name == "ngit_sync_naughty_relay_info" }
            #expect(info.count == 1, "\(listed.lines(prefix: "ngit_sync_naughty"))")
            let entry = try #require(info.first)
            #expect(entry.labels["relay"] == relay)
            #expect(entry.labels["category"] == "protocol_error")
            #expect(entry.labels["reason"]?.hasPrefix("websocket handshake failed") == true, "reason: \(entry.labels["reason"] ?? "none")")
            #expect(entry.value == 1)
            #expect(listed.value("ngit_sync_connection_attempts_total", ["relay": relay, "result": "failure"]) == 1)

            // A state before its announcement is rejected into the index (both tiers).
            let repo = E2ERepo(relays: ["ws://127.0.0.1:\(port)"], createdAt: E2EEvents.now - 60)
            let state = repo.state(createdAt: E2EEvents.now - 30)
            try await E2EClient.with(node.url) { client in
                let refused = try await client.publish(state)
                #expect(!refused.accepted, "state without announcement: \(refused.message)")
            }
            try await Self.waitForRejected(["ngit_sync_rejected_hot_cache_current": 1, "ngit_sync_rejected_cold_index_current": 1],
                                           on: node, "the rejected state indexed")

            // The announcement re-processes it: one hot-cache hit and one cold entry
            // invalidated; the state's own acceptance then invalidates again and finds
            // nothing (a miss).
            try await E2EClient.with(node.url) { try await $0.publishAccepted([repo.announcement]) }
            try await E2E.waitForEvents([state.id], on: node, "the re-processed state")
            try await Self.waitForRejected([
                "ngit_sync_rejected_hot_cache_hits_total": 1, "ngit_sync_rejected_invalidated_total": 1,
                "ngit_sync_rejected_hot_cache_misses_total": 1,
                "ngit_sync_rejected_hot_cache_current": 0, "ngit_sync_rejected_cold_index_current": 0,
            ], on: node, "the hit, invalidation and miss counted")
            let after = try await node.metrics()
            for name in ["ngit_sync_rejected_hot_cache_hits_total", "ngit_sync_rejected_hot_cache_misses_total",
                         "ngit_sync_rejected_invalidated_total", "ngit_sync_rejected_hot_cache_expired_total",
                         "ngit_sync_rejected_cold_index_expired_total"] {
                #expect(after.value(name, ["event_type": "announcement"]) == 0, "\(name){announcement}\n\(after.lines(prefix: "ngit_sync_rejected"))")
            }
            #expect(after.value("ngit_sync_rejected_hot_cache_expired_total", ["event_type": "state"]) == 0)
            #expect(after.value("ngit_sync_naughty_relays_total", ["category": "protocol_error"]) == 1)
        }
    }

    /// Waits until every `ngit_sync_rejected_*{event_type="state"}` series in `expected`
    /// has its value.
    static func waitForRejected(_ expected: [String: Double], on node: NodeProcess, _ what: String) async throws {
        try await E2E.waitUntil(what) {
            let metrics = try await node.metrics()
            let wrong = expected.filter { metrics.value($0.key, ["event_type": "state"]) != $0.value }
            return wrong.isEmpty ? nil : "expected \(wrong) for state; \(metrics.lines(prefix: "ngit_sync_rejected"))"
        }
    }
}
