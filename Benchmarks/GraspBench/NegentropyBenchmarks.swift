import Benchmark
import Foundation
import Reconcile

/// Deterministic item sets for the negentropy benchmarks.
enum NegentropyCorpus {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func item(_ rng: inout Generator) -> NegentropyItem {
        let ts = 1_677_970_534 + rng.next() % 100_000_000
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in stride(from: 0, to: 32, by: 8) {
            let w = rng.next()
            for j in 0..<8 { bytes[i + j] = UInt8(truncatingIfNeeded: w >> (j * 8)) }
        }
        return NegentropyItem(timestamp: ts, id: NegentropyID(bytes: bytes)!)
    }

    /// Two sets sharing `common` items, with `onlyA`/`onlyB` extra items each.
    static func pair(common: Int, onlyA: Int, onlyB: Int) -> (NegentropyStorage, NegentropyStorage) {
        var rng = Generator(state: 42)
        let shared = (0..<common).map { _ in item(&rng) }
        let a = shared + (0..<onlyA).map { _ in item(&rng) }
        let b = shared + (0..<onlyB).map { _ in item(&rng) }
        return (try! NegentropyStorage(sealing: a), try! NegentropyStorage(sealing: b))
    }

    struct Result {
        var rounds = 0
        var bytesUp = 0
        var bytesDown = 0
        var have = 0
        var need = 0
    }

    /// A full initiator/responder exchange in memory.
    static func reconcile(client: NegentropyStorage, server: NegentropyStorage, clientLimit: Int, serverLimit: Int) -> Result {
        var c = try! Negentropy(storage: client, frameSizeLimit: clientLimit)
        var s = try! Negentropy(storage: server, frameSizeLimit: serverLimit)
        var result = Result()
        var have = Set<NegentropyID>()
        var need = Set<NegentropyID>()
        var message: [UInt8]? = try! c.initiate()
        while let m = message {
            result.bytesUp += m.count
            let reply = try! s.reconcile(m)
            result.bytesDown += reply.count
            result.rounds += 1
            var h: [NegentropyID] = []
            var n: [NegentropyID] = []
            message = try! c.reconcile(reply, have: &h, need: &n)
            have.formUnion(h)
            need.formUnion(n)
        }
        result.have = have.count
        result.need = need.count
        return result
    }
}

func registerNegentropyBenchmarks() {
    let roundTrips = BenchmarkMetric.custom("round trips", useScalingFactor: false)
    let bytesUp = BenchmarkMetric.custom("bytes client->relay", useScalingFactor: false)
    let bytesDown = BenchmarkMetric.custom("bytes relay->client", useScalingFactor: false)
    let config = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident, roundTrips, bytesUp, bytesDown],
        maxDuration: .seconds(30), maxIterations: 5)

    let (a, b) = NegentropyCorpus.pair(common: 999_500, onlyA: 500, onlyB: 500)
    for (name, cl, sl) in [("no frame limit", 0, 0), ("frame limits 60,000/500,000", 60_000, 500_000)] {
        Benchmark("negentropy 1M vs 1M, 1,000 differences, \(name)", configuration: config) { benchmark in
            var r = NegentropyCorpus.Result()
            for _ in benchmark.scaledIterations {
                r = NegentropyCorpus.reconcile(client: a, server: b, clientLimit: cl, serverLimit: sl)
                precondition(r.have == 500 && r.need == 500, "wrong diff \(r.have)/\(r.need)")
            }
            benchmark.measurement(roundTrips, r.rounds)
            benchmark.measurement(bytesUp, r.bytesUp)
            benchmark.measurement(bytesDown, r.bytesDown)
        }
    }

    let (empty, full) = NegentropyCorpus.pair(common: 0, onlyA: 0, onlyB: 100_000)
    Benchmark("negentropy empty client vs 100,000 items, frame limits 60,000/500,000", configuration: config) { benchmark in
        var r = NegentropyCorpus.Result()
        for _ in benchmark.scaledIterations {
            r = NegentropyCorpus.reconcile(client: empty, server: full, clientLimit: 60_000, serverLimit: 500_000)
            precondition(r.need == 100_000, "wrong diff \(r.need)")
        }
        benchmark.measurement(roundTrips, r.rounds)
        benchmark.measurement(bytesUp, r.bytesUp)
        benchmark.measurement(bytesDown, r.bytesDown)
    }
}
