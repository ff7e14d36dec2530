import BenchSupport
import Foundation

// Runs one sync benchmark scenario in its own process and prints its `SyncRun.Result` as one
// JSON line. The GraspBench sync benchmarks start it: the benchmark harness waits for async
// benchmarks by blocking a thread of Swift's cooperative pool (two threads on a two-core
// machine), which would leave the engine one thread; a node never runs like that.
let arguments = CommandLine.arguments
guard arguments.count == 2, let mode = SyncRun.Mode(rawValue: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: SyncWorker full|resync\n".utf8))
    exit(2)
}
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let result = try await SyncRun.run(mode, corpus: IngestCorpus.make(), directory: directory)
precondition(result.storedEvents == 100_000, "synced \(result.storedEvents) of 100,000 events")
print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
