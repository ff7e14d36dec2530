import BenchSupport
import Foundation

// The served-path benchmarks: the 100,000-event corpus behind the real endpoint on loopback,
// the clients in a child process (this executable again). Each prints one JSON line.
//   ReadLoadWorker [clients] [reqs]              read load (`ReadLoad`, defaults 20 20)
//   ReadLoadWorker load <ws-url> <clients> <reqs>  only its clients, against any relay
//   ReadLoadWorker storm [connections] [sessionsPerConnection]
//                                                 NEG-OPEN storm (`NegOpenStorm`, defaults 50 8)
//   ReadLoadWorker storm-clients <ws-url> <connections> <sessionsPerConnection>
//                                                 only its clients, against any NIP-77 relay
//   ReadLoadWorker latency [seconds]             publish+query latency beside a bulk publisher
//                                                 (`PublishLatency`, default 20)
//   ReadLoadWorker latency-clients <ws-url> <seconds>
//                                                 only its clients (the relay must hold the corpus)
//   ReadLoadWorker transport                     WebSocket throughput over loopback, the node's relay
//                                                 server and its client transport in this process
//                                                 (`TransportThroughput`; started by GraspBench's
//                                                 transport stage benchmark)
let arguments = Array(CommandLine.arguments.dropFirst())

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func printResult(_ result: some Encodable) throws {
    print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
}

/// The positive number at `index` of `list`, or `value` when there is none.
func number(_ list: [String], _ index: Int, default value: Int) -> Int {
    guard list.count > index else { return value }
    guard let n = Int(list[index]), n > 0 else { fail("\(list[index]): expected a positive number") }
    return n
}

switch arguments.first {
case "load":
    guard arguments.count == 4, let clients = Int(arguments[2]), let reqs = Int(arguments[3]) else {
        fail("usage: ReadLoadWorker load <ws-url> <clients> <reqs>")
    }
    try printResult(try await ReadLoad.runLoad(url: arguments[1], clients: clients, reqs: reqs))
    exit(0)
case "storm":
    let rest = Array(arguments.dropFirst())
    try printResult(try await NegOpenStorm.run(connections: number(rest, 0, default: 50),
                                               sessionsPerConnection: number(rest, 1, default: 8)))
    exit(0)
case "storm-clients":
    guard arguments.count == 4, let connections = Int(arguments[2]), let sessions = Int(arguments[3]) else {
        fail("usage: ReadLoadWorker storm-clients <ws-url> <connections> <sessionsPerConnection>")
    }
    try printResult(try await NegOpenStorm.runClients(url: arguments[1], connections: connections, sessionsPerConnection: sessions))
    exit(0)
case "latency":
    try printResult(try await PublishLatency.run(seconds: number(Array(arguments.dropFirst()), 0, default: 20)))
    exit(0)
case "transport":
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-transport-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let result = try await TransportThroughput.run(stored: 20_000, sent: 5_000, rounds: 5, directory: directory)
    try? FileManager.default.removeItem(at: directory)
    try printResult(result)
    exit(0)
case "latency-clients":
    guard arguments.count == 3, let seconds = Int(arguments[2]) else {
        fail("usage: ReadLoadWorker latency-clients <ws-url> <seconds>")
    }
    try printResult(try await PublishLatency.runClients(url: arguments[1], seconds: seconds))
    exit(0)
default:
    break  // the read load itself, below
}

let clients = number(arguments, 0, default: 20)
let reqs = number(arguments, 1, default: 20)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-readload-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

var result = try await ReadLoad.serve(corpus: IngestCorpus.make(), directory: directory) { url in
    // The clients run in a child process: they must not share this process's cooperative pool.
    // Waits on this thread, as the figures in docs/benchmarks.md were taken.
    let line: String
    do {
        line = try ChildWorker.lastLine(executable: own, arguments: ["load", url, String(clients), String(reqs)])
    } catch {
        fail("the load process failed: \(error)")
    }
    return try JSONDecoder().decode(ReadLoad.Result.self, from: Data(line.utf8))
}
result.serverPeakResidentBytes = ReadLoad.peakResidentBytes()
try printResult(result)
