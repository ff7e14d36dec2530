import Benchmark
import BenchSupport
import Foundation

/// Full historic sync of the ingest corpus from a local peer into an empty node, and the
/// re-sync when nothing changed (``SyncRun``). Each runs in a `SyncWorker` process (built
/// next to this executable by `make bench`), which reports its own figures: the harness waits
/// for async benchmarks by blocking one of the cooperative pool's threads (one of two on a
/// two-core machine), so an engine measured in this process would run on the other alone.
enum SyncWorkerProcess {
    /// `SyncWorker` in this executable's directory (found through /proc: the harness may
    /// start benchmarks by a relative path).
    static var executable: URL { sibling("SyncWorker") }

    /// The executable `name` in this executable's directory.
    static func sibling(_ name: String) -> URL {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent(name)
    }

    static func run(_ mode: SyncRun.Mode) throws -> SyncRun.Result {
        try run(SyncRun.Result.self, step: mode.rawValue)
    }

    /// Runs `worker step` (a worker executable next to this one) and decodes the JSON line
    /// it prints last.
    static func run<T: Decodable>(_ type: T.Type, step: String, worker: String = "SyncWorker") throws -> T {
        let executable = sibling(worker)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            fatalError("\(executable.path) is missing: build it with `swift build -c release --product \(worker)` in Benchmarks/ (`make bench` does)")
        }
        let line: String
        do {
            line = try ChildWorker.lastLine(executable: executable.path, arguments: [step])
        } catch {
            fatalError("\(worker) \(step) failed: \(error)")
        }
        return try JSONDecoder().decode(T.self, from: Data(line.utf8))
    }
}

func registerSyncBenchmarks() {
    let syncTime = BenchmarkMetric.custom("sync time (ms)", polarity: .prefersSmaller, useScalingFactor: false)
    let startTime = BenchmarkMetric.custom("coordinator start (ms)", polarity: .prefersSmaller, useScalingFactor: false)
    let bytesUp = BenchmarkMetric.custom("bytes node->peer", polarity: .prefersSmaller, useScalingFactor: false)
    let bytesDown = BenchmarkMetric.custom("bytes peer->node", polarity: .prefersSmaller, useScalingFactor: false)
    let peakRSS = BenchmarkMetric.custom("peak RSS of the sync process (MB)", polarity: .prefersSmaller, useScalingFactor: false)
    let config = Benchmark.Configuration(metrics: [syncTime, startTime, bytesUp, bytesDown, peakRSS],
                                         units: [syncTime: .count, startTime: .count, peakRSS: .count],
                                         maxDuration: .seconds(300), maxIterations: 1)

    for (mode, name) in [(SyncRun.Mode.full, "sync: full historic sync of 100k NIP-34 events from a local peer into an empty node"),
                         (.resync, "sync: re-sync of a GRASP server when nothing changed (restart past the quick-reconnect window, relay-wide)"),
                         (.resyncItems, "sync: re-sync of a general relay when nothing changed (item filters)")] {
        Benchmark(name, configuration: config) { benchmark in
            let result = try SyncWorkerProcess.run(mode)
            benchmark.measurement(syncTime, Int(result.milliseconds.rounded()))
            benchmark.measurement(startTime, Int(result.startMilliseconds.rounded()))
            benchmark.measurement(bytesUp, result.bytesUp)
            benchmark.measurement(bytesDown, result.bytesDown)
            benchmark.measurement(peakRSS, result.peakResidentBytes / 1_048_576)
        }
    }
}
