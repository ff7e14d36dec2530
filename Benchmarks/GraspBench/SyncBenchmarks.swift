import App
import Benchmark
import Foundation
import Health
import Nostr
import Relay
import Store

/// Full historic sync of the ingest corpus (100,000 NIP-34 events over 500 repositories) from
/// a local peer relay into an empty node, and the re-sync when nothing changed. The peer is a
/// real `NostrRelay` reached in memory (`LocalRelayTransport`), so the figures cover the
/// engine, negentropy, both JSON codecs, verification, policy and SQLite, not the network.
enum SyncBench {
    static let peerURL = RelayURL("ws://peer.bench")!
    static let nodeURL = IngestCorpus.service

    static func makePeer(_ corpus: [NostrEvent], dir: URL) throws -> NostrRelay {
        let store = try SQLiteEventStore(path: dir.appendingPathComponent("peer.sqlite").path)
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [nodeURL])),
                                     clock: ManualClock(start: 1_800_000_000))
        let results = ingestor.ingest(batch: corpus)
        precondition(results.allSatisfy { $0 == .saved })
        return NostrRelay(ingestor: ingestor)
    }

    struct Node {
        let store: SQLiteEventStore
        let coordinator: SyncCoordinator
    }

    static func makeNode(transport: LocalRelayTransport, dir: URL) throws -> Node {
        let store = try SQLiteEventStore(path: dir.appendingPathComponent("node-\(UUID().uuidString).sqlite").path)
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [nodeURL])))
        let config = SyncConfiguration(bootstrapRelays: [peerURL], ownURLs: [nodeURL], batchWindow: 0.05, settleDelay: 0.2)
        return Node(store: store, coordinator: SyncCoordinator(configuration: config, ingestor: ingestor, transport: transport))
    }

    /// Ticks in real time until the peer is Connected (historic sync complete).
    static func syncUntilConnected(_ node: Node) async {
        while await node.coordinator.relayStatus(peerURL) != .connected {
            await node.coordinator.tick()
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}

func registerSyncBenchmarks(corpus: [NostrEvent]) {
    let bytesUp = BenchmarkMetric.custom("bytes node->peer", useScalingFactor: false)
    let bytesDown = BenchmarkMetric.custom("bytes peer->node", useScalingFactor: false)
    let config = Benchmark.Configuration(metrics: [.wallClock, .peakMemoryResident, bytesUp, bytesDown], maxDuration: .seconds(120), maxIterations: 1)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-bench-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let transport = LocalRelayTransport()
    let peer = try! SyncBench.makePeer(corpus, dir: dir)
    transport.register(peer, at: SyncBench.peerURL)

    Benchmark("sync: full historic sync of 100k NIP-34 events from a local peer into an empty node", configuration: config) { benchmark in
        let node = try SyncBench.makeNode(transport: transport, dir: dir)
        let (up, down) = (transport.bytesSent, transport.bytesReceived)
        await node.coordinator.start()
        benchmark.startMeasurement()
        await SyncBench.syncUntilConnected(node)
        benchmark.stopMeasurement()
        benchmark.measurement(bytesUp, transport.bytesSent - up)
        benchmark.measurement(bytesDown, transport.bytesReceived - down)
        let count = try node.store.totalCount()
        precondition(count == corpus.count, "synced \(count) of \(corpus.count)")
        await node.coordinator.stop()
    }

    Benchmark("sync: re-sync when nothing changed (restart past the quick-reconnect window)", configuration: config) { benchmark in
        let node = try SyncBench.makeNode(transport: transport, dir: dir)
        await node.coordinator.start()
        await SyncBench.syncUntilConnected(node)
        await node.coordinator.stop()
        // A fresh coordinator on the same store: negentropy finds nothing to fetch.
        let again = SyncBench.Node(store: node.store, coordinator: SyncCoordinator(
            configuration: SyncConfiguration(bootstrapRelays: [SyncBench.peerURL], ownURLs: [SyncBench.nodeURL], batchWindow: 0.05,
                                             quickReconnectWindow: 0, settleDelay: 0.2),
            ingestor: EventIngestor(store: node.store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [SyncBench.nodeURL]))),
            transport: transport))
        let (up, down) = (transport.bytesSent, transport.bytesReceived)
        await again.coordinator.start()
        benchmark.startMeasurement()
        await SyncBench.syncUntilConnected(again)
        benchmark.stopMeasurement()
        benchmark.measurement(bytesUp, transport.bytesSent - up)
        benchmark.measurement(bytesDown, transport.bytesReceived - down)
        await again.coordinator.stop()
    }
}
