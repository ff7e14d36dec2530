import Benchmark
import BenchSupport
import Foundation
import Nostr
import Store

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxDuration: .seconds(60), maxIterations: 3)

    registerNegentropyBenchmarks()

    registerSyncBenchmarks()
    registerLayersStageBenchmarks()
    registerHealthStageBenchmarks()
    registerTransportStageBenchmarks()
    let corpus = IngestCorpus.make()

    Benchmark("ingest 100k NIP-34 events (verify + policy + SQLite store)", configuration: .init(scalingFactor: .one)) { benchmark in
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteEventStore(path: dir.appendingPathComponent("bench.sqlite").path)
        let ingestor = EventIngestor(
            store: store,
            policy: AcceptancePolicy(configuration: .init(serviceURLs: [IngestCorpus.service])),
            clock: ManualClock(start: 1_800_000_000))
        benchmark.startMeasurement()
        let results = ingestor.ingest(batch: corpus)
        benchmark.stopMeasurement()
        let saved = results.filter { $0 == .saved }.count
        precondition(saved == corpus.count, "only \(saved) of \(corpus.count) saved")
        blackHole(saved)
    }
}
