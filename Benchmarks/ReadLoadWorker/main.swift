import BenchSupport
import Foundation

// The served read-load benchmark (`ReadLoad`).
//   ReadLoadWorker [clients] [reqs]              serve the 100,000-event corpus on loopback and
//                                                 run the load from a child process (defaults 20 20)
//   ReadLoadWorker load <ws-url> <clients> <reqs>  only the clients, against any relay
// Prints the `ReadLoad.Result` as one JSON line.
let arguments = Array(CommandLine.arguments.dropFirst())

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func printResult(_ result: ReadLoad.Result) throws {
    print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
}

if arguments.first == "load" {
    guard arguments.count == 4, let clients = Int(arguments[2]), let reqs = Int(arguments[3]) else {
        fail("usage: ReadLoadWorker load <ws-url> <clients> <reqs>")
    }
    try printResult(try await ReadLoad.runLoad(url: arguments[1], clients: clients, reqs: reqs))
    exit(0)
}

func number(_ index: Int, default value: Int) -> Int {
    guard arguments.count > index else { return value }
    guard let n = Int(arguments[index]), n > 0 else { fail("clients and reqs must be positive numbers") }
    return n
}
let clients = number(0, default: 20)
let reqs = number(1, default: 20)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-readload-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

var result = try await ReadLoad.serve(corpus: IngestCorpus.make(), directory: directory) { url in
    // The clients run in a child process: they must not share this process's cooperative pool.
    let process = Process()
    process.executableURL = URL(fileURLWithPath: own)
    process.arguments = ["load", url, String(clients), String(reqs)]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else {
        fail("the load process failed (exit \(process.terminationStatus))")
    }
    return try JSONDecoder().decode(ReadLoad.Result.self, from: Data(line.utf8))
}
result.serverPeakResidentBytes = ReadLoad.peakResidentBytes()
try printResult(result)
