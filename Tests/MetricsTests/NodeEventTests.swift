import Health
import Nostr
import SyncMetrics
import Testing

/// Counters move on node events, recorded directly or consumed from a stream.
@Suite("Node events")
struct NodeEventTests {
    typealias F = MetricsFixtures

    @Test func attemptsAreCountedByRelayAndResult() throws {
        let metrics = try F.makeMetrics()
        for _ in 0..<2 { metrics.record(.connectionAttempt(F.alpha, result: .success)) }
        for _ in 0..<3 { metrics.record(.connectionAttempt(F.alpha, result: .failure)) }
        metrics.record(.connectionAttempt(F.beta, result: .failure))
        let parsed = try metrics.parsed()
        let name = "ngit_sync_connection_attempts_total"
        #expect(parsed.value(name, ["relay": "wss://alpha.example.com", "result": "success"]) == 2)
        #expect(parsed.value(name, ["relay": "wss://alpha.example.com", "result": "failure"]) == 3)
        #expect(parsed.value(name, ["relay": "wss://beta.example.com", "result": "failure"]) == 1)
        // The other result exists at 0, so rate() and the X6 check work from the first attempt.
        #expect(parsed.value(name, ["relay": "wss://beta.example.com", "result": "success"]) == 0)
    }

    @Test func eventsSyncedIsOneUnlabelledCounter() throws {
        let metrics = try F.makeMetrics()
        metrics.record(.eventsSynced(F.alpha, count: 2))
        metrics.record(.eventsSynced(F.beta, count: 5))
        metrics.record(.eventsSynced(F.beta, count: 0))
        metrics.record(.eventsSynced(F.beta, count: -4))  // Ignored: counters never go down.
        let parsed = try metrics.parsed()
        #expect(parsed.samples(named: "ngit_sync_events_synced_total") == [
            ExpositionSample(name: "ngit_sync_events_synced_total", labels: [:], value: 7)
        ])
    }

    @Test func countersSurviveSnapshotsOfTheirRelay() throws {
        let metrics = try F.makeMetrics()
        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connecting, .healthy)]))
        metrics.record(.connectionAttempt(F.alpha, result: .success))
        metrics.apply(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .syncing, .healthy)]))
        metrics.record(.connectionAttempt(F.alpha, result: .success))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_connection_attempts_total", ["relay": "wss://alpha.example.com", "result": "success"]) == 2)
    }

    @Test func rejectedIndexCountersByType() throws {
        let metrics = try F.makeMetrics()
        metrics.record(.rejectedHotCacheHits(.announcement, count: 3))
        metrics.record(.rejectedHotCacheMiss(.state))
        metrics.record(.rejectedHotCacheMiss(.state))
        metrics.record(.rejectedEntriesExpired(.hot, .announcement, count: 4))
        metrics.record(.rejectedEntriesExpired(.cold, .state, count: 6))
        metrics.record(.rejectedEntriesInvalidated(.announcement, count: 1))
        metrics.record(.rejectedEntriesInvalidated(.state, count: 0))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_rejected_hot_cache_hits_total", ["event_type": "announcement"]) == 3)
        #expect(parsed.value("ngit_sync_rejected_hot_cache_hits_total", ["event_type": "state"]) == 0)
        #expect(parsed.value("ngit_sync_rejected_hot_cache_misses_total", ["event_type": "state"]) == 2)
        #expect(parsed.value("ngit_sync_rejected_hot_cache_expired_total", ["event_type": "announcement"]) == 4)
        #expect(parsed.value("ngit_sync_rejected_cold_index_expired_total", ["event_type": "state"]) == 6)
        #expect(parsed.value("ngit_sync_rejected_cold_index_expired_total", ["event_type": "announcement"]) == 0)
        #expect(parsed.value("ngit_sync_rejected_invalidated_total", ["event_type": "announcement"]) == 1)
        #expect(parsed.value("ngit_sync_rejected_invalidated_total", ["event_type": "state"]) == 0)
    }

    @Test func runConsumesAFiniteStreamToCompletion() async throws {
        let metrics = try F.makeMetrics()
        let (events, continuation) = AsyncStream.makeStream(of: NodeEvent.self)
        continuation.yield(.snapshot(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connecting, .healthy)])))
        for _ in 0..<100 { continuation.yield(.connectionAttempt(F.alpha, result: .failure)) }
        continuation.yield(.connectionAttempt(F.alpha, result: .success))
        continuation.yield(.connectionStatusChanged(F.alpha, .syncing))
        continuation.yield(.eventsSynced(F.alpha, count: 10))
        continuation.yield(.servedConnectionOpened)
        continuation.yield(.servedMessageReceived(verb: "REQ"))
        continuation.yield(.servedEventStored(kind: 1621))
        continuation.yield(.servedEventRefused(prefix: "invalid"))
        continuation.yield(.servedNegentropySessionOpened)
        continuation.yield(.rejectedHotCacheMiss(.announcement))
        continuation.yield(.snapshot(SyncMetricsSnapshot(relays: [F.relay(F.alpha, .connected, .healthy)])))
        continuation.finish()

        await metrics.run(events: events)

        let parsed = try metrics.parsed()
        let relay = ["relay": "wss://alpha.example.com"]
        #expect(parsed.value("ngit_sync_connection_attempts_total", relay.merging(["result": "failure"]) { $1 }) == 100)
        #expect(parsed.value("ngit_sync_connection_attempts_total", relay.merging(["result": "success"]) { $1 }) == 1)
        #expect(parsed.value("ngit_sync_relay_connected", relay) == 3)  // The last snapshot wins, in stream order.
        #expect(parsed.value("ngit_sync_events_synced_total") == 10)
        #expect(parsed.value("ngit_sync_relays_connected_total") == 1)
        #expect(parsed.value("grasp_relay_connections_open") == 1)
        #expect(parsed.value("grasp_relay_messages_received_total", ["verb": "REQ"]) == 1)
        #expect(parsed.value("grasp_relay_events_stored_total", ["kind": "1621"]) == 1)
        #expect(parsed.value("grasp_relay_events_refused_total", ["prefix": "invalid"]) == 1)
        #expect(parsed.value("grasp_relay_negentropy_sessions_opened_total") == 1)
        #expect(parsed.value("ngit_sync_rejected_hot_cache_misses_total", ["event_type": "announcement"]) == 1)
    }

    @Test func runReturnsWhenProducerFinishesConcurrently() async throws {
        let metrics = try F.makeMetrics()
        let (events, continuation) = AsyncStream.makeStream(of: NodeEvent.self)
        async let consumed: Void = metrics.run(events: events)
        let producer = Task {
            for index in 0..<500 {
                continuation.yield(.eventsSynced(F.alpha, count: 1))
                if index.isMultiple(of: 50) { await Task.yield() }
            }
            continuation.finish()
        }
        await producer.value
        await consumed
        #expect(try metrics.parsed().value("ngit_sync_events_synced_total") == 500)
    }

    @Test func emptyStreamReturnsImmediately() async throws {
        let metrics = try F.makeMetrics()
        let (events, continuation) = AsyncStream.makeStream(of: NodeEvent.self)
        continuation.finish()
        await metrics.run(events: events)
        #expect(try metrics.parsed().value("ngit_sync_events_synced_total") == 0)
    }

    @Test func recordingFromManyTasksLosesNothing() async throws {
        let metrics = try F.makeMetrics()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    let relay = RelayURL("wss://r\(task % 4).example.com")!
                    for _ in 0..<250 {
                        metrics.record(.connectionAttempt(relay, result: .failure))
                        metrics.messageReceived(verb: "EVENT")
                    }
                }
            }
        }
        let parsed = try metrics.parsed()
        let failures = parsed.samples(named: "ngit_sync_connection_attempts_total")
            .filter { $0.labels["result"] == "failure" }
        #expect(failures.count == 4)
        #expect(failures.allSatisfy { $0.value == 500 })
        #expect(parsed.value("grasp_relay_messages_received_total", ["verb": "EVENT"]) == 2000)
    }
}
