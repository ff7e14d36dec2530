import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the end-to-end tests find what they run: the package root (from this file's path),
/// the node binary, the Python interpreter and the peer scripts; plus free ports and
/// scratch directories.
enum E2EEnvironment {
    /// The package root: the nearest ancestor of this source file holding `Package.swift`.
    static let packageRoot: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The node binary built by `swift build --build-tests`; fails clearly when missing.
    static func nodeBinary() throws -> URL {
        let url = packageRoot.appendingPathComponent(".build/debug/grasp-sync")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw E2EError.setup("node binary not found at \(url.path): run `swift build --build-tests` in \(packageRoot.path) first")
        }
        return url
    }

    /// The Python interpreter with nostr-sdk and websockets: `GRASP_SYNC_TEST_PYTHON` (set by
    /// `make test`), else the package's `.venv`.
    static func python() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["GRASP_SYNC_TEST_PYTHON"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw E2EError.setup("GRASP_SYNC_TEST_PYTHON=\(path) is not an executable")
            }
            return URL(fileURLWithPath: path)
        }
        let venv = packageRoot.appendingPathComponent(".venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: venv.path) else {
            throw E2EError.setup("no Python: set GRASP_SYNC_TEST_PYTHON to an interpreter with nostr-sdk 0.45.1 and websockets (`make venv` creates \(venv.path))")
        }
        return venv
    }

    /// A script of this target's `Peers` resources.
    static func peerScript(_ name: String) throws -> URL {
        let candidates = [
            Bundle.module.url(forResource: "Peers", withExtension: nil)?.appendingPathComponent(name),
            packageRoot.appendingPathComponent("Tests/AppTests/Peers/\(name)"),
        ].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw E2EError.setup("peer script \(name) not found (looked at \(candidates.map(\.path)))")
        }
        return found
    }

    /// The nostr-sdk LocalRelay script of the relay interop tests.
    static func localRelayScript() throws -> URL {
        let url = packageRoot.appendingPathComponent("Tests/RelayTests/Interop/nostr_sdk_local_relay.py")
        guard FileManager.default.fileExists(atPath: url.path) else { throw E2EError.setup("\(url.path) is missing") }
        return url
    }

    /// A loopback port nothing listens on right now and no other scenario of this test run
    /// was given. Picked at random below Linux's ephemeral range (32768-60999), where the
    /// kernel's own port-0 choices for every other socket in the test run never land: a port
    /// chosen here and used a few seconds later (a node whose URL must be announced before it
    /// starts) is not taken meanwhile. Scenarios run in parallel and bind their ports late,
    /// so a port handed out once is never handed out again in this process (two scenarios
    /// drawing the same unbound port was a CI failure: "Address already in use").
    static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 10_000..<32_000)
            guard try canBind(port), handedOutPorts.claim(port) else { continue }
            return port
        }
        throw E2EError.setup("no free loopback port found in 10000-31999")
    }

    /// Every port `freePort()` has returned in this process.
    private static let handedOutPorts = PortLedger()

    /// Whether `port` on 127.0.0.1 can be bound right now.
    static func canBind(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw E2EError.setup("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }

    /// A fresh scratch directory for one scenario.
    static func makeWorkDirectory(_ name: String) throws -> URL {
        let safe = name.map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("grasp-sync-e2e-\(String(safe))-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The last `lines` lines of a text file (empty if unreadable).
    static func tail(_ url: URL, lines: Int = 60) -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else { return "" }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// The set of ports already handed out, shared by scenarios running in parallel.
final class PortLedger: @unchecked Sendable {
    private let lock = NSLock()
    private var ports: Set<Int> = []

    /// Records `port`; false when it was handed out before.
    func claim(_ port: Int) -> Bool {
        lock.withLock { ports.insert(port).inserted }
    }
}

/// Failures of the end-to-end machinery (not of the node).
enum E2EError: Error, CustomStringConvertible {
    case setup(String)
    case process(String)
    case protocolError(String)
    case timedOut(String)

    var description: String {
        switch self {
        case .setup(let s): return "setup: \(s)"
        case .process(let s): return "process: \(s)"
        case .protocolError(let s): return "protocol: \(s)"
        case .timedOut(let s): return "timed out: \(s)"
        }
    }
}
