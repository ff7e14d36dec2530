import Foundation
import Testing

/// Waiting for conditions on real processes. A deadline is only a hang guard: no test
/// asserts how long anything took.
enum E2E {
    /// Re-checks `condition` every `poll` seconds until it holds. `condition` returns nil
    /// when satisfied, else a description of what is still missing (used in the timeout
    /// error, together with the last error a check threw).
    static func waitUntil(_ what: String, deadline: Double = 60, poll: Double = 0.2,
                          _ condition: () async throws -> String?) async throws {
        let end = Date().addingTimeInterval(deadline)
        var last = "not checked yet"
        while true {
            do {
                guard let missing = try await condition() else { return }
                last = missing
            } catch {
                last = "check failed: \(error)"
            }
            if Date() > end { throw E2EError.timedOut("\(what) (hang guard \(Int(deadline)) s); last state: \(last)") }
            try await Task.sleep(nanoseconds: UInt64(poll * 1_000_000_000))
        }
    }

    /// Waits until `node` holds every id in `ids`.
    static func waitForEvents(_ ids: [String], on node: NodeProcess, _ what: String, deadline: Double = 60) async throws {
        try await E2EClient.with(node.url) { client in
            try await waitUntil("\(what) on \(node.name)", deadline: deadline, poll: 0.25) {
                let missing = try await client.missing(ids)
                return missing.isEmpty ? nil : "\(missing.count) of \(ids.count) missing, e.g. \(missing.prefix(3))"
            }
        }
    }

    /// Waits until `node`'s `ngit_sync_relay_connected{relay}` equals `value`.
    static func waitForConnectionStatus(_ value: Double, of relay: String, on node: NodeProcess, deadline: Double = 60) async throws {
        try await waitUntil("ngit_sync_relay_connected{relay=\"\(relay)\"} == \(Int(value)) on \(node.name)", deadline: deadline) {
            let metrics = try await node.metrics()
            let current = metrics.value("ngit_sync_relay_connected", ["relay": relay])
            return current == value ? nil : "value \(current.map { String($0) } ?? "absent"); \(metrics.lines(prefix: "ngit_sync_relay"))"
        }
    }

    /// Runs one scenario: `body` gets a `E2EScenario` that owns every process it starts.
    /// All processes are stopped afterwards, also when `body` throws or the task is
    /// cancelled; a failure carries the tails of every process's output and keeps the
    /// scratch directory.
    static func scenario(_ name: String, _ body: (E2EScenario) async throws -> Void) async throws {
        let scenario = try E2EScenario(name: name)
        print("[e2e \(name)] work directory \(scenario.workDirectory.path)")
        try await withTaskCancellationHandler {
            do {
                try await body(scenario)
            } catch {
                let report = scenario.report()
                await scenario.stopAll()
                print("[e2e \(name)] FAILED: \(error)\n[e2e \(name)] work directory kept: \(scenario.workDirectory.path)\n\(report)")
                throw E2EScenarioFailure(scenario: name, underlying: error, report: report)
            }
            await scenario.stopAll()
            try? FileManager.default.removeItem(at: scenario.workDirectory)
        } onCancel: {
            scenario.killAll()
        }
    }
}

/// A scenario failure with the processes' output attached.
struct E2EScenarioFailure: Error, CustomStringConvertible {
    let scenario: String
    let underlying: any Error
    let report: String

    var description: String { "\(scenario): \(underlying)\n\(report)" }
}

/// The processes of one scenario and its scratch directory.
final class E2EScenario: @unchecked Sendable {
    let name: String
    let workDirectory: URL
    private let lock = NSLock()
    private var nodes: [NodeProcess] = []
    private var peers: [PeerProcess] = []

    init(name: String) throws {
        self.name = name
        workDirectory = try E2EEnvironment.makeWorkDirectory(name)
    }

    /// Starts a node (see `NodeProcess.start`) owned by this scenario.
    func node(_ name: String, port: Int? = nil, bootstrap: [String] = [], extraArguments: [String] = []) async throws -> NodeProcess {
        let node = try await NodeProcess.start(name: name, in: workDirectory, port: port, bootstrap: bootstrap, extraArguments: extraArguments)
        lock.withLock { nodes.append(node) }
        return node
    }

    /// Starts a Python peer relay owned by this scenario.
    func peer(_ name: String, script: URL, arguments: [String]) async throws -> PeerProcess {
        let peer = try await PeerProcess.start(name: name, script: script, arguments: arguments, in: workDirectory)
        lock.withLock { peers.append(peer) }
        return peer
    }

    /// A file in the scratch directory.
    func file(_ name: String) -> URL { workDirectory.appendingPathComponent(name) }

    func stopAll() async {
        let (n, p) = lock.withLock { (nodes, peers) }
        for node in n { await node.stop() }
        for peer in p { await peer.stop() }
    }

    func killAll() {
        let (n, p) = lock.withLock { (nodes, peers) }
        n.forEach { $0.killNow() }
        p.forEach { $0.killNow() }
    }

    func report() -> String {
        let (n, p) = lock.withLock { (nodes, peers) }
        return (n.map { $0.report() } + p.map { $0.report() }).joined(separator: "\n")
    }
}
