import Foundation
import Nostr
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A Python interop script from `Interop/` run as a child process with Foundation.Process.
/// Its stdout is read as lines (the scripts print one JSON object per line), stderr is kept
/// for failure messages. Use `InteropProcess.run` so the child is always terminated.
final class InteropProcess: @unchecked Sendable {
    enum Failure: Error, CustomStringConvertible {
        case timedOut(String)
        case ended(String)
        case badOutput(String)

        var description: String {
            switch self {
            case .timedOut(let s): "timed out: \(s)"
            case .ended(let s): "process ended: \(s)"
            case .badOutput(let s): "bad output: \(s)"
            }
        }
    }

    /// The venv interpreter (env GRASP_SYNC_TEST_PYTHON). Missing is a test failure, never a skip.
    static func python() throws -> String {
        let path = ProcessInfo.processInfo.environment["GRASP_SYNC_TEST_PYTHON"]
        return try #require(path.flatMap { $0.isEmpty ? nil : $0 },
                            "GRASP_SYNC_TEST_PYTHON is not set: the nostr-sdk interop tests need the venv interpreter (make test sets it; locally /work/main/.venv/bin/python)")
    }

    /// A script shipped in the test bundle's Interop folder.
    static func script(_ name: String) throws -> URL {
        let folder = try #require(Bundle.module.url(forResource: "Interop", withExtension: nil), "Interop folder missing from the test bundle")
        let url = folder.appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: url.path), "\(name) missing from the test bundle")
        return url
    }

    let name: String
    private let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var stderrData = Data()
    private var stdoutLog: [String] = []
    private var exitStatus: Int32?
    private let lines: AsyncStream<String>
    private let linesContinuation: AsyncStream<String>.Continuation
    private let exits: AsyncStream<Int32>
    private let exitsContinuation: AsyncStream<Int32>.Continuation

    private init(script: String, arguments: [String]) throws {
        name = script
        (lines, linesContinuation) = AsyncStream<String>.makeStream()
        (exits, exitsContinuation) = AsyncStream<Int32>.makeStream()
        process.executableURL = URL(fileURLWithPath: try Self.python())
        process.arguments = [try Self.script(script).path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        process.environment = environment
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.terminationHandler = { [weak self] p in
            guard let self else { return }
            let status = p.terminationStatus
            self.lock.withLock { self.exitStatus = status }
            self.exitsContinuation.yield(status)
            self.exitsContinuation.finish()
        }
        try process.run()
        startReaders()
    }

    private func startReaders() {
        let out = stdoutPipe.fileHandleForReading
        let err = stderrPipe.fileHandleForReading
        let continuation = linesContinuation
        Thread.detachNewThread { [self] in
            var buffer = Data()
            while true {
                let chunk = out.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    lock.withLock { stdoutLog.append(line) }
                    continuation.yield(line)
                }
            }
            if !buffer.isEmpty {
                let line = String(decoding: buffer, as: UTF8.self)
                lock.withLock { stdoutLog.append(line) }
                continuation.yield(line)
            }
            continuation.finish()
        }
        Thread.detachNewThread { [self] in
            while true {
                let chunk = err.availableData
                if chunk.isEmpty { break }
                lock.withLock { stderrData.append(chunk) }
            }
        }
    }

    /// Runs `script`, hands it to `body`, and always terminates the child afterwards.
    static func run<T: Sendable>(_ script: String, _ arguments: [String],
                                 _ body: (InteropProcess) async throws -> T) async throws -> T {
        let child = try InteropProcess(script: script, arguments: arguments)
        do {
            let result = try await body(child)
            await child.stop()
            return result
        } catch {
            await child.stop()
            throw error
        }
    }

    /// The last lines of stderr, for failure messages.
    var stderrTail: String {
        let text = lock.withLock { String(decoding: stderrData, as: UTF8.self) }
        return String(text.suffix(3000))
    }

    var stdoutLines: [String] { lock.withLock { stdoutLog } }

    /// The next stdout line parsed as JSON (hang guard `deadline`).
    func nextJSON(deadline: Double = 60) async throws -> JSONValue {
        let stream = lines
        let line = try await Self.first(of: stream, deadline: deadline, what: "a JSON line from \(name)")
        guard let line else { throw Failure.ended("\(name) closed stdout; stderr:\n\(stderrTail)") }
        do {
            return try JSONValue.parse(line)
        } catch {
            throw Failure.badOutput("\(name) printed \(line.prefix(300))")
        }
    }

    /// Closes the child's stdin (the local relay script stops on EOF).
    func closeStdin() {
        try? stdinPipe.fileHandleForWriting.close()
    }

    /// Waits for the child to exit (hang guard `deadline`) and returns its status.
    func waitForExit(deadline: Double = 60) async throws -> Int32 {
        if let status = lock.withLock({ exitStatus }) { return status }
        let stream = exits
        if let status = try await Self.first(of: stream, deadline: deadline, what: "\(name) to exit") { return status }
        return lock.withLock { exitStatus } ?? -1
    }

    /// Ends the child: stdin EOF, then SIGTERM, then SIGKILL if it still runs.
    func stop() async {
        closeStdin()
        if process.isRunning { process.terminate() }
        if (try? await waitForExit(deadline: 10)) == nil, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            _ = try? await waitForExit(deadline: 10)
        }
    }

    private static func first<E: Sendable>(of stream: AsyncStream<E>, deadline: Double, what: String) async throws -> E? {
        try await withThrowingTaskGroup(of: E?.self) { group in
            group.addTask {
                var it = stream.makeAsyncIterator()
                return await it.next()
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(deadline * 1_000_000_000))
                throw Failure.timedOut("no \(what) within \(deadline) s")
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}

extension JSONValue {
    var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var stringArray: [String]? { arrayValue?.compactMap(\.stringValue) }
}
