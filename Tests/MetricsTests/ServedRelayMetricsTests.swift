import SyncMetrics
import Testing

/// The `grasp_relay_*` metrics of the relay this node serves.
@Suite("Served relay")
struct ServedRelayMetricsTests {
    @Test func openConnectionsFollowOpensAndCloses() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        for _ in 0..<3 { metrics.connectionOpened() }
        metrics.connectionClosed()
        #expect(try metrics.parsed().value("grasp_relay_connections_open") == 2)
        for _ in 0..<5 { metrics.connectionClosed() }
        #expect(try metrics.parsed().value("grasp_relay_connections_open") == 0)  // Never negative.
        metrics.connectionOpened()
        #expect(try metrics.parsed().value("grasp_relay_connections_open") == 1)
    }

    @Test func messagesAreCountedByVerb() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.messageReceived(verb: "EVENT")
        metrics.messageReceived(verb: "EVENT")
        metrics.messageReceived(verb: "req")
        metrics.messageReceived(verb: "NEG-OPEN")
        metrics.messageReceived(verb: "INVALID")
        metrics.messageReceived(verb: "HELLO")
        metrics.messageReceived(verb: "PING")
        let parsed = try metrics.parsed()
        let name = "grasp_relay_messages_received_total"
        #expect(parsed.value(name, ["verb": "EVENT"]) == 2)
        #expect(parsed.value(name, ["verb": "REQ"]) == 1)
        #expect(parsed.value(name, ["verb": "NEG-OPEN"]) == 1)
        #expect(parsed.value(name, ["verb": "INVALID"]) == 1)
        #expect(parsed.value(name, ["verb": "OTHER"]) == 2)
        #expect(parsed.value(name, ["verb": "CLOSE"]) == 0)
        #expect(!parsed.labelValues(name, "verb").contains("HELLO"))
    }

    @Test func storedEventsAreCountedByKind() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.eventStored(kind: 1617)
        metrics.eventStored(kind: 1617)
        metrics.eventStored(kind: 30617)
        metrics.eventStored(kind: -1)
        metrics.eventStored(kind: 70_000)
        let parsed = try metrics.parsed()
        let name = "grasp_relay_events_stored_total"
        #expect(parsed.value(name, ["kind": "1617"]) == 2)
        #expect(parsed.value(name, ["kind": "30617"]) == 1)
        #expect(parsed.value(name, ["kind": "other"]) == 2)
    }

    @Test func kindSeriesAreCapped() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        for kind in 0..<(NodeMetrics.maxKindSeries + 50) { metrics.eventStored(kind: kind) }
        metrics.eventStored(kind: 0)
        let parsed = try metrics.parsed()
        let samples = parsed.samples(named: "grasp_relay_events_stored_total")
        #expect(samples.count <= NodeMetrics.maxKindSeries + 1)
        #expect(parsed.value("grasp_relay_events_stored_total", ["kind": "0"]) == 2)
        #expect(parsed.value("grasp_relay_events_stored_total", ["kind": "other"]) == 50)
        #expect(samples.reduce(0) { $0 + $1.value } == Double(NodeMetrics.maxKindSeries + 51))
    }

    @Test func refusedEventsAreCountedByPrefix() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.eventRefused(prefix: "blocked")
        metrics.eventRefused(prefix: "invalid: bad signature")
        metrics.eventRefused(prefix: "RATE-LIMITED")
        metrics.eventRefused(prefix: "restricted:")
        metrics.eventRefused(prefix: "nonsense")
        metrics.eventRefused(prefix: "")
        let parsed = try metrics.parsed()
        let name = "grasp_relay_events_refused_total"
        #expect(parsed.value(name, ["prefix": "blocked"]) == 1)
        #expect(parsed.value(name, ["prefix": "invalid"]) == 1)
        #expect(parsed.value(name, ["prefix": "rate-limited"]) == 1)
        #expect(parsed.value(name, ["prefix": "restricted"]) == 1)
        #expect(parsed.value(name, ["prefix": "other"]) == 2)
        #expect(parsed.value(name, ["prefix": "pow"]) == 0)
    }

    @Test func negentropySessions() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.negentropySessionOpened()
        metrics.negentropySessionOpened()
        metrics.negentropySessionClosed()
        var parsed = try metrics.parsed()
        #expect(parsed.value("grasp_relay_negentropy_sessions_open") == 1)
        #expect(parsed.value("grasp_relay_negentropy_sessions_opened_total") == 2)
        metrics.negentropySessionClosed()
        metrics.negentropySessionClosed()
        parsed = try metrics.parsed()
        #expect(parsed.value("grasp_relay_negentropy_sessions_open") == 0)
        #expect(parsed.value("grasp_relay_negentropy_sessions_opened_total") == 2)
    }

    @Test func nodeEventsReachTheSameMetrics() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        let events: [NodeEvent] = [
            .servedConnectionOpened, .servedConnectionOpened, .servedConnectionClosed,
            .servedMessageReceived(verb: "COUNT"), .servedEventStored(kind: 1),
            .servedEventRefused(prefix: "duplicate"), .servedNegentropySessionOpened,
            .servedNegentropySessionOpened, .servedNegentropySessionClosed,
        ]
        for event in events { metrics.record(event) }
        let parsed = try metrics.parsed()
        #expect(parsed.value("grasp_relay_connections_open") == 1)
        #expect(parsed.value("grasp_relay_messages_received_total", ["verb": "COUNT"]) == 1)
        #expect(parsed.value("grasp_relay_events_stored_total", ["kind": "1"]) == 1)
        #expect(parsed.value("grasp_relay_events_refused_total", ["prefix": "duplicate"]) == 1)
        #expect(parsed.value("grasp_relay_negentropy_sessions_open") == 1)
        #expect(parsed.value("grasp_relay_negentropy_sessions_opened_total") == 2)
    }

    @Test func gaugesStayExactUnderConcurrentConnections() async throws {
        let metrics = try MetricsFixtures.makeMetrics()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<200 {
                        metrics.connectionOpened()
                        metrics.negentropySessionOpened()
                    }
                    for _ in 0..<150 {
                        metrics.connectionClosed()
                        metrics.negentropySessionClosed()
                    }
                }
            }
        }
        let parsed = try metrics.parsed()
        #expect(parsed.value("grasp_relay_connections_open") == 400)
        #expect(parsed.value("grasp_relay_negentropy_sessions_open") == 400)
        #expect(parsed.value("grasp_relay_negentropy_sessions_opened_total") == 1600)
    }

    @Test func servedWriteBudgetAndConnectionCapRefusalsAsEvents() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.record(.servedEventRateLimited(scope: "ip"))
        metrics.record(.servedEventRateLimited(scope: "somewhere"))
        metrics.record(.servedConnectionRefused(reason: "total"))
        let parsed = try metrics.parsed()
        #expect(parsed.value("grasp_relay_events_rate_limited_total", ["scope": "ip"]) == 1)
        #expect(parsed.value("grasp_relay_events_rate_limited_total", ["scope": "other"]) == 1)
        #expect(parsed.value("grasp_relay_events_refused_total", ["prefix": "rate-limited"]) == 2)
        #expect(parsed.value("grasp_relay_connections_refused_total", ["reason": "total"]) == 1)
        #expect(parsed.value("grasp_relay_connections_refused_total", ["reason": "per_ip"]) == 0)
    }
}
