import BenchSupport
import Foundation

// Runs one sync benchmark scenario in its own process and prints its result as one JSON line.
//   SyncWorker <SyncRun.Mode>  the 100,000-event sync scenario (`SyncRun`: full, resync, ...); the GraspBench sync
//                              benchmarks start it: the benchmark harness waits for async
//                              benchmarks by blocking a thread of Swift's cooperative pool (two
//                              threads on a two-core machine), which would leave the engine one
//                              thread; a node never runs like that.
//   SyncWorker million         the 1,000,000-event store (`MillionStoreRun`): runs the three steps
//                              below, each in a child process, and prints their figures together
//   SyncWorker million-corpus  generates the corpus in the cache directory unless it is there
//   SyncWorker million-ingest  ingests it into the peer database in the cache directory
//   SyncWorker million-sync    full sync and no-change re-sync from that database into an empty node,
//                              the peer and the node in processes of their own (`MillionSyncRun`):
//   SyncWorker million-peer    serves the peer database on loopback (prints the URL, stops at stdin EOF)
//   SyncWorker million-node full|resync|serve <ws-url> <database>
//                              one phase of the node against that peer (`serve`: the re-sync while
//                              the node's store is also served to read-load clients)
//   SyncWorker read-load <ws-url> <clients> <reqs>
//                              the read-load clients (`ReadLoad.runLoad`), started by the serve phase
let arguments = CommandLine.arguments

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Runs this executable with `step` and returns the last line it printed.
func child(_ step: String) throws -> String {
    let line: String
    do {
        line = try ChildWorker.lastLine(arguments: [step])
    } catch {
        fail("SyncWorker \(step) failed: \(error)")
    }
    FileHandle.standardError.write(Data("\(step): \(line)\n".utf8))
    return line
}

switch arguments.count == 2 || arguments.count == 5 && ["million-node", "read-load"].contains(arguments[1]) ? arguments[1] : "" {
case let name where SyncRun.Mode(rawValue: name) != nil:
    let mode = SyncRun.Mode(rawValue: name)!
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try await SyncRun.run(mode, corpus: IngestCorpus.make(), directory: directory)
    precondition(result.storedEvents == 100_000, "synced \(result.storedEvents) of 100,000 events")
    print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
case "million-corpus":
    try printJSON(try MillionStoreRun.ensureCorpus())
case "million-ingest":
    try printJSON(try MillionStoreRun.ingest())
case "million-sync":
    try printJSON(try MillionSyncRun.run())
case "million-peer":
    try printJSON(try await MillionSyncRun.servePeer())
case "million-node":
    guard let phase = MillionSyncRun.Phase(rawValue: arguments[2]) else { fail("million-node: full, resync or serve, not \(arguments[2])") }
    try printJSON(try await MillionSyncRun.runNode(phase, peerURL: arguments[3], database: arguments[4]))
case "read-load":
    guard let clients = Int(arguments[3]), let reqs = Int(arguments[4]) else { fail("usage: SyncWorker read-load <ws-url> <clients> <reqs>") }
    try printJSON(try await ReadLoad.runLoad(url: arguments[2], clients: clients, reqs: reqs))
case "million":
    var combined = "{"
    for (key, step) in [("corpus", "million-corpus"), ("ingest", "million-ingest"), ("sync", "million-sync")] {
        combined += (combined == "{" ? "" : ",") + "\"\(key)\":" + (try child(step))
    }
    print(combined + "}")
default:
    fail("usage: SyncWorker full|resync|...|million|million-corpus|million-ingest|million-sync|million-peer|million-node")
}
