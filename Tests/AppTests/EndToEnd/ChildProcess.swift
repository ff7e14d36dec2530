import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One running child process with stdout and stderr captured to files; the base of
/// `NodeProcess` and `PeerProcess`.
final class ChildProcess: @unchecked Sendable {
    let name: String
    let stdoutURL: URL
    let stderrURL: URL
    private let lock = NSLock()
    private let process: Process
    private let stdinPipe: Pipe?

    /// Launches `executable` with `arguments`. With `keepStdinOpen` the child's stdin is a
    /// pipe held open until `closeStdin()` (the Python peers stop at EOF, so they also stop
    /// when the test process dies); otherwise stdin is /dev/null.
    init(name: String, executable: URL, arguments: [String], logDirectory: URL, keepStdinOpen: Bool = false,
         environment: [String: String]? = nil) throws {
        self.name = name
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "-" })
        stdoutURL = logDirectory.appendingPathComponent("\(safe).stdout.log")
        stderrURL = logDirectory.appendingPathComponent("\(safe).stderr.log")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: stdoutURL)
        let err = try FileHandle(forWritingTo: stderrURL)
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        if let environment { process.environment = environment }
        if keepStdinOpen {
            let pipe = Pipe()
            process.standardInput = pipe
            stdinPipe = pipe
        } else {
            process.standardInput = FileHandle.nullDevice
            stdinPipe = nil
        }
        do {
            try process.run()
        } catch {
            throw E2EError.process("cannot launch \(executable.path): \(error)")
        }
        try? out.close()
        try? err.close()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { lock.withLock { process.isRunning } }

    /// "exit N" or "signal N" once it ended, nil while running.
    var termination: String? {
        lock.withLock {
            guard !process.isRunning else { return nil }
            return process.terminationReason == .exit ? "exit \(process.terminationStatus)" : "signal \(process.terminationStatus)"
        }
    }

    func closeStdin() {
        try? stdinPipe?.fileHandleForWriting.close()
    }

    /// Sends `signal` if still running.
    func send(_ signal: Int32) {
        if isRunning { _ = kill(pid, signal) }
    }

    /// Waits for the process to end, polling; false if it is still running after `seconds`.
    func waitForExit(seconds: Double) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while isRunning {
            if Date() > end { return false }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return true
    }

    /// SIGTERM (after closing stdin), wait up to `grace` seconds, then SIGKILL. Returns how
    /// it ended.
    @discardableResult
    func terminate(grace: Double = 15) async -> String {
        closeStdin()
        send(SIGTERM)
        if await !waitForExit(seconds: grace) {
            send(SIGKILL)
            _ = await waitForExit(seconds: 5)
            return "killed after \(grace) s without exiting on SIGTERM"
        }
        return termination ?? "running"
    }

    /// Immediate SIGKILL (cancellation and deinit paths; no waiting).
    func killNow() {
        closeStdin()
        send(SIGKILL)
    }

    /// stdout and stderr tails for failure reports.
    func report(lines: Int = 80) -> String {
        var out = "---- \(name) (pid \(pid), \(termination ?? "running")) stderr: \(stderrURL.path)\n"
        out += E2EEnvironment.tail(stderrURL, lines: lines)
        let stdout = E2EEnvironment.tail(stdoutURL, lines: 10)
        if !stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { out += "\n---- \(name) stdout:\n" + stdout }
        return out
    }

    deinit {
        if process.isRunning { _ = kill(process.processIdentifier, SIGKILL) }
    }
}
