import Foundation

/// Runs the clients of a served-path benchmark in a child process (this same executable with
/// a client subcommand), so they do not share the node's cooperative pool, and decodes the
/// last line the child prints as JSON.
public enum ChildWorker {
    /// Why a child run failed.
    public enum Failure: Error, CustomStringConvertible {
        case exited(status: Int32, arguments: [String])
        case noOutput(arguments: [String])

        public var description: String {
            switch self {
            case .exited(let status, let arguments): return "child \(arguments.joined(separator: " ")) exited with status \(status)"
            case .noOutput(let arguments): return "child \(arguments.joined(separator: " ")) printed nothing"
            }
        }
    }

    /// This process's executable (`/proc/self/exe`, else `argv[0]`).
    public static var ownExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Runs `executable arguments` and decodes its last stdout line as `T`. The child's stderr
    /// is the worker's. The wait happens on a thread of its own: blocking a thread of the
    /// cooperative pool would take it from the node being measured.
    public static func run<T: Decodable & Sendable>(_ type: T.Type, executable: String = ownExecutable, arguments: [String]) async throws -> T {
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let output = Pipe()
            process.standardOutput = output
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            Thread.detachNewThread {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                if process.terminationStatus == 0 {
                    continuation.resume(returning: data)
                } else {
                    continuation.resume(throwing: Failure.exited(status: process.terminationStatus, arguments: arguments))
                }
            }
        }
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else {
            throw Failure.noOutput(arguments: arguments)
        }
        return try JSONDecoder().decode(T.self, from: Data(line.utf8))
    }

    /// Runs `executable arguments`, waits on this thread, and returns the last line it
    /// printed (for a worker that is not itself measuring anything while it waits).
    public static func lastLine(executable: String = ownExecutable, arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure.exited(status: process.terminationStatus, arguments: arguments) }
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else { throw Failure.noOutput(arguments: arguments) }
        return String(line)
    }

    /// A child that keeps running beside its parent (a served peer): it prints one line when
    /// it is ready (`readyLine`), runs until its stdin is closed (`finish()`), then prints its
    /// last line and exits. Its stderr is the parent's.
    public final class Running: @unchecked Sendable {
        public let process = Process()
        private let input = Pipe()
        private let output = Pipe()
        private var pending = Data()
        private let arguments: [String]

        /// Starts `executable arguments`.
        public init(executable: String = ChildWorker.ownExecutable, arguments: [String]) throws {
            self.arguments = arguments
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            try process.run()
        }

        public var pid: Int32 { process.processIdentifier }

        /// Blocks until the child printed a whole line, and returns it (without the newline).
        public func readyLine() throws -> String {
            while true {
                if let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending = Data(pending[(newline + 1)...])
                    return line
                }
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw Failure.noOutput(arguments: arguments) }
                pending.append(chunk)
            }
        }

        /// Closes the child's stdin, waits for it to exit and returns the last line it printed.
        public func finish() throws -> String {
            try? input.fileHandleForWriting.close()
            pending.append(output.fileHandleForReading.readDataToEndOfFile())
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw Failure.exited(status: process.terminationStatus, arguments: arguments) }
            guard let line = String(decoding: pending, as: UTF8.self).split(separator: "\n").last else {
                throw Failure.noOutput(arguments: arguments)
            }
            return String(line)
        }
    }
}
