import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One run of a `grasp-sync` tool subcommand (`import`, `export`, `sync`, `status`) as a
/// subprocess of the built binary, with its output captured to files in the scenario's
/// directory.
struct ToolRun: CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stdout: String
    let stderr: String

    var description: String {
        "grasp-sync \(arguments.joined(separator: " ")) -> exit \(status)\n-- stdout:\n\(stdout.prefix(4000))\n-- stderr:\n\(stderr.prefix(4000))"
    }

    /// stdout's non-empty lines.
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

enum ToolProcess {
    /// Runs `grasp-sync <arguments>` to its end (`deadline` is a hang guard: the process is
    /// killed and the run fails after it). `stdin` is a file to read, else /dev/null.
    static func run(_ arguments: [String], in directory: URL, stdin: URL? = nil,
                    environment: [String: String]? = nil, deadline: Double = 300) async throws -> ToolRun {
        let binary = try E2EEnvironment.nodeBinary()
        let tag = "tool-\(arguments.first ?? "none")-\(UUID().uuidString.prefix(6))"
        let outURL = directory.appendingPathComponent("\(tag).stdout")
        let errURL = directory.appendingPathComponent("\(tag).stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            guard let handle = FileHandle(forReadingAtPath: stdin.path) else { throw E2EError.setup("cannot read \(stdin.path)") }
            process.standardInput = handle
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        var env = environment ?? ProcessInfo.processInfo.environment
        // The tools must not pick up settings of the machine running the tests.
        if environment == nil { for key in env.keys where key.hasPrefix("GRASP_SYNC_") && key != "GRASP_SYNC_TEST_PYTHON" { env[key] = nil } }
        process.environment = env
        try process.run()
        try? out.close()
        try? err.close()
        let end = Date().addingTimeInterval(deadline)
        while process.isRunning {
            if Date() > end {
                _ = kill(process.processIdentifier, SIGKILL)
                throw E2EError.timedOut("grasp-sync \(arguments.joined(separator: " ")) still running after \(Int(deadline)) s\n\(E2EEnvironment.tail(errURL))")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let stdout = String(decoding: FileManager.default.contents(atPath: outURL.path) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: FileManager.default.contents(atPath: errURL.path) ?? Data(), as: UTF8.self)
        return ToolRun(arguments: arguments, status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
