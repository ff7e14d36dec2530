import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `grasp-sync` node running as a real process on 127.0.0.1: its own port and data
/// directory, stderr captured to a file (shown when a scenario fails), stopped with SIGTERM,
/// restartable on the same port and data.
final class NodeProcess: @unchecked Sendable {
    let name: String
    let port: Int
    let dataDirectory: URL
    let arguments: [String]
    private let logDirectory: URL
    private let lock = NSLock()
    private var current: ChildProcess?
    private var runs: [ChildProcess] = []

    /// The node's relay URL (also its default service URL).
    var url: String { "ws://127.0.0.1:\(port)" }

    /// Options every test node gets: loopback relays allowed, short batch window and backoff.
    static let testOptions = ["--allow-private-relays", "--sync-batch-window-ms", "200", "--sync-base-backoff-secs", "1"]

    private init(name: String, port: Int, dataDirectory: URL, arguments: [String], logDirectory: URL) {
        self.name = name
        self.port = port
        self.dataDirectory = dataDirectory
        self.arguments = arguments
        self.logDirectory = logDirectory
    }

    /// Starts a node and waits until it serves HTTP. With `port` nil a free port is chosen
    /// (retried on a lost race); with a port given that port is used.
    static func start(name: String, in workDirectory: URL, port: Int? = nil, bootstrap: [String] = [],
                      extraArguments: [String] = []) async throws -> NodeProcess {
        let binary = try E2EEnvironment.nodeBinary()
        let dataDirectory = workDirectory.appendingPathComponent("\(name)-data")
        var lastError: (any Error)?
        for _ in 0..<(port == nil ? 3 : 1) {
            let chosen = try port ?? E2EEnvironment.freePort()
            var args = ["--host", "127.0.0.1", "--port", String(chosen), "--data-dir", dataDirectory.path, "--log-level", "info"]
            args += testOptions
            for relay in bootstrap { args += ["--bootstrap-relay", relay] }
            args += extraArguments
            let node = NodeProcess(name: name, port: chosen, dataDirectory: dataDirectory, arguments: args, logDirectory: workDirectory)
            do {
                try await node.launch(binary: binary)
                return node
            } catch {
                lastError = error
                await node.stop()
            }
        }
        throw lastError ?? E2EError.process("\(name) did not start")
    }

    private func launch(binary: URL) async throws {
        let run = lock.withLock { runs.count + 1 }
        let child = try ChildProcess(name: "\(name).run\(run)", executable: binary, arguments: arguments, logDirectory: logDirectory)
        lock.withLock {
            runs.append(child)
            current = child
        }
        // Ready once /metrics answers (hang guard only).
        let end = Date().addingTimeInterval(30)
        while true {
            if !child.isRunning {
                throw E2EError.process("\(name) exited during start-up (\(child.termination ?? "?"))\n\(child.report())")
            }
            if let reply = try? await E2EHTTP.get(port: port, path: "/metrics"), reply.status == 200 {
                // Still ours a moment later (a node that lost the port race exits at once).
                try await Task.sleep(nanoseconds: 200_000_000)
                if child.isRunning { return }
                continue
            }
            if Date() > end { throw E2EError.process("\(name) did not serve on port \(port) within 30 s\n\(child.report())") }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// Stops the node with SIGTERM and waits for it (up to `grace` seconds, then SIGKILL);
    /// returns how it ended ("exit 0" when clean).
    @discardableResult
    func stop(grace: Double = 15) async -> String {
        guard let child = lock.withLock({ current }) else { return "not running" }
        let how = await child.terminate(grace: grace)
        lock.withLock { if current === child { current = nil } }
        return how
    }

    /// Starts the node again on the same port, arguments and data directory.
    func restart() async throws {
        if lock.withLock({ current != nil }) { await stop() }
        try await launch(binary: try E2EEnvironment.nodeBinary())
    }

    var isRunning: Bool { lock.withLock { current?.isRunning ?? false } }

    /// SIGKILL without waiting (cancellation path).
    func killNow() {
        for child in lock.withLock({ runs }) { child.killNow() }
    }

    /// Every run's captured output, for failure reports.
    func report(lines: Int = 80) -> String {
        lock.withLock { runs }.map { $0.report(lines: lines) }.joined(separator: "\n")
    }

    /// The text the current (or last) run wrote to stderr.
    func stderrText() -> String {
        guard let child = lock.withLock({ runs.last }),
              let data = FileManager.default.contents(atPath: child.stderrURL.path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A Python peer relay (our REQ-only relay or the nostr-sdk LocalRelay) run as a process.
/// It prints one JSON line `{"url": ..., "port": ...}` once it serves, and stops when its
/// stdin closes.
final class PeerProcess: @unchecked Sendable {
    let name: String
    let url: String
    let port: Int
    let ready: [String: Any]
    private let child: ChildProcess

    private init(name: String, url: String, port: Int, ready: [String: Any], child: ChildProcess) {
        self.name = name
        self.url = url
        self.port = port
        self.ready = ready
        self.child = child
    }

    static func start(name: String, script: URL, arguments: [String], in workDirectory: URL) async throws -> PeerProcess {
        let python = try E2EEnvironment.python()
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        let child = try ChildProcess(name: name, executable: python, arguments: [script.path] + arguments,
                                     logDirectory: workDirectory, keepStdinOpen: true, environment: environment)
        let end = Date().addingTimeInterval(120)
        while true {
            let firstLine = E2EEnvironment.tail(child.stdoutURL, lines: 1000)
                .split(separator: "\n").first.map(String.init) ?? ""
            if !firstLine.isEmpty,
               let object = try? JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: Any] {
                if let error = object["error"] {
                    await child.terminate()
                    throw E2EError.process("\(name) failed: \(error)\n\(child.report())")
                }
                if let url = object["url"] as? String, let port = object["port"] as? Int {
                    return PeerProcess(name: name, url: url.hasSuffix("/") ? String(url.dropLast()) : url, port: port,
                                       ready: object, child: child)
                }
            }
            if !child.isRunning {
                throw E2EError.process("\(name) exited before serving (\(child.termination ?? "?"))\n\(child.report())")
            }
            if Date() > end {
                await child.terminate()
                throw E2EError.process("\(name) did not report ready within 120 s\n\(child.report())")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// Closes stdin (the script's stop signal), then SIGTERM/SIGKILL if needed.
    @discardableResult
    func stop() async -> String {
        child.closeStdin()
        if await child.waitForExit(seconds: 5) { return child.termination ?? "" }
        return await child.terminate(grace: 5)
    }

    func killNow() { child.killNow() }

    func report(lines: Int = 60) -> String { child.report(lines: lines) }
}
