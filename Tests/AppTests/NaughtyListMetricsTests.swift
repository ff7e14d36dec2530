import Layers
import App
import Foundation
import Health
import Nostr
import Store
import SyncMetrics
import Testing
import Transport
import TransportTestKit

/// The sync engine's naughty-list changes reach `NodeMetrics` through the event stream the
/// node composes (coordinator `emit` -> `AsyncStream<NodeEvent>` -> `NodeMetrics.run`), in
/// virtual time: listed at the failed handshake, gone at the next successful connect an
/// hour later.
@Suite(.timeLimit(.minutes(1)))
struct NaughtyListMetricsTests {
    static let nodeURL = RelayURL("wss://node.test")!
    static let relay = RelayURL("wss://misconfigured.example.com")!

    @Test("a relay whose handshake fails is listed in the metrics at once and leaves them when it connects")
    func naughtyRelayEntersAndLeavesTheMetrics() async throws {
        let clock = ManualClock(start: 1_800_000_000)
        let (peer, _) = try InProcessRelayServer.makeRelay()
        let memory = InMemoryRelayTransport()
        memory.register(peer, at: Self.relay)
        let transport = FaultInjectingTransport(inner: memory)
        transport.setFaults(perAttempt: [[.failConnect(.handshakeFailed("server answered 404 without upgrading"))]], for: Self.relay)

        let metrics = try NodeMetrics()
        let (events, continuation) = AsyncStream.makeStream(of: NodeEvent.self)
        let consumer = Task { await metrics.run(events: events) }
        let ingestor = EventIngestor(
            store: try SQLiteEventStore(), policy: AcceptancePolicy(configuration: .init(serviceURLs: [Self.nodeURL])), clock: clock)
        let coordinator = SyncCoordinator(
            configuration: SyncConfiguration(bootstrapRelays: [Self.relay], ownURLs: [Self.nodeURL]),
            ingestor: ingestor, transport: transport, clock: clock, randomSeed: 5, emit: { continuation.yield($0) })
        await coordinator.start()
        let label = Self.relay.description

        // The first attempt fails: listed as protocol_error with one failure.
        await coordinator.tick()
        await coordinator.waitForIdle()
        #expect(transport.connectionAttempts(to: Self.relay) == 1)
        let listedCount = "ngit_sync_naughty_relays_total{category=\"protocol_error\"} 1.0"
        let listed = await Self.exposition(of: metrics) { $0.contains(listedCount) }
        #expect(listed.contains(listedCount), "\(listed)")
        #expect(listed.contains(
            "ngit_sync_naughty_relay_info{relay=\"\(label)\",category=\"protocol_error\",reason=\"websocket handshake failed: server answered 404 without upgrading\"} 1.0"),
            "\(listed)")

        // Misconfiguration waits at least an hour (jittered); the next attempt connects and
        // the relay leaves the list (and its info series goes). Virtual minutes until then.
        for _ in 0..<240 where transport.connectionAttempts(to: Self.relay) < 2 {
            clock.advance(by: 60)
            await coordinator.tick()
            await coordinator.waitForIdle()
        }
        #expect(transport.connectionAttempts(to: Self.relay) == 2)
        let clearedCount = "ngit_sync_naughty_relays_total{category=\"protocol_error\"} 0.0"
        let cleared = await Self.exposition(of: metrics) { $0.contains(clearedCount) }
        #expect(cleared.contains(clearedCount), "\(cleared)")
        #expect(!cleared.contains("ngit_sync_naughty_relay_info{"), "\(cleared)")

        await coordinator.stop()
        continuation.finish()
        await consumer.value
    }

    /// The exposition once `condition` holds for it (the consumer runs on its own task).
    /// Yields between checks; the bound is a hang guard, not a timing assertion.
    static func exposition(of metrics: NodeMetrics, until condition: (String) -> Bool) async -> String {
        for i in 0..<5_000 {
            let text = metrics.exposition()
            if condition(text) { return text }
            if i % 10 == 9 { try? await Task.sleep(nanoseconds: 1_000_000) } else { await Task.yield() }
        }
        return metrics.exposition()
    }
}
