import Benchmark
import Foundation
import Nostr
import Store

/// 100,000 pre-signed NIP-34 events over 500 repositories: announcements first, then
/// issues, patches, comments and statuses that reference them (so the policy admits them).
enum IngestCorpus {
    static let service = RelayURL("ws://bench.relay")!
    static let peer = RelayURL("ws://peer.bench")!

    static func make(count: Int = 100_000, repos: Int = 500) -> [NostrEvent] {
        let keys = (1...20).map { i in NostrKeypair(secretKey: [UInt8](repeating: 0, count: 31) + [UInt8(i)])! }
        let base: Int64 = 1_700_000_000
        var events: [NostrEvent] = []
        events.reserveCapacity(count)
        var announcements: [NostrEvent] = []
        for r in 0..<repos {
            let owner = keys[r % keys.count]
            // Lists the node and the peer it syncs from (GRASP-02 targets listed relays).
            let a = owner.sign(kind: 30617, tags: [["d", "repo-\(r)"], ["name", "repo \(r)"], ["relays", service.description, peer.description]],
                               content: "", createdAt: base + Int64(r))
            announcements.append(a)
            events.append(a)
        }
        var roots: [NostrEvent] = []
        var i = 0
        while events.count < count {
            let repo = announcements[i % repos]
            let author = keys[(i * 7) % keys.count]
            let coordinate = "30617:\(repo.pubkey):\(repo.dTag)"
            let created = base + 10_000 + Int64(i)
            let event: NostrEvent
            switch i % 5 {
            case 0:
                event = author.sign(kind: 1621, tags: [["a", coordinate], ["p", repo.pubkey], ["subject", "issue \(i)"]], content: "body \(i)", createdAt: created)
                roots.append(event)
            case 1:
                event = author.sign(kind: 1617, tags: [["a", coordinate], ["p", repo.pubkey], ["t", "root"]], content: "diff --git a/x b/x \(i)", createdAt: created)
                roots.append(event)
            case 2, 3:
                let root = roots[(i * 31) % roots.count]
                event = author.sign(kind: 1111, tags: [["E", root.id], ["K", String(root.kind)], ["P", root.pubkey], ["e", root.id], ["k", String(root.kind)], ["p", root.pubkey]],
                                    content: "comment \(i)", createdAt: created)
            default:
                let root = roots[(i * 17) % roots.count]
                event = author.sign(kind: 1630 + (i % 4), tags: [["e", root.id, "", "root"], ["p", root.pubkey]], content: "", createdAt: created)
            }
            events.append(event)
            i += 1
        }
        return events
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxDuration: .seconds(60), maxIterations: 3)

    registerNegentropyBenchmarks()

    let corpus = IngestCorpus.make()
    registerSyncBenchmarks(corpus: corpus)

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
