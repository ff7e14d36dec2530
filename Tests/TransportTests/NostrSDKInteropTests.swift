import Foundation
import Nostr
import Testing
import Transport
import TransportTestKit

/// The WebSocket transport against a real peer: the nostr-sdk (rust-nostr) LocalRelay from
/// PyPI, run by `Tests/RelayTests/Interop/nostr_sdk_local_relay.py` with the venv
/// interpreter from `GRASP_SYNC_TEST_PYTHON` (set by `make test`; falls back to the
/// repository's `.venv`).
@Suite(.enabled(if: NostrSDKLocalRelay.python != nil, "needs the nostr-sdk venv (make venv / GRASP_SYNC_TEST_PYTHON)"))
struct NostrSDKInteropTests {
    @Test(arguments: [true, false])
    func transportAgainstNostrSDKLocalRelay(_ compression: Bool) async throws {
        let keys = NostrKeypair.generate()
        let now = Int64(Date().timeIntervalSince1970)
        let preloaded = (0..<60).map { i in
            keys.sign(kind: 1621, tags: [["a", "30617:\(keys.publicKey):interop"], ["subject", "issue \(i)"]],
                      content: "preloaded \(i) " + String(repeating: "z", count: 100), createdAt: now - Int64(i) - 10)
        }
        let peer = try await NostrSDKLocalRelay.start(events: preloaded)
        do {
            #expect(peer.loaded == preloaded.count)
            let session = try await loopbackTransport(compression: compression).connect(to: peer.url)

            // Historic: every preloaded event, newest first, then EOSE.
            try await session.send(.req(subscriptionID: "hist", filters: [Filter(authors: [keys.publicKey], kinds: [1621], limit: 500)]))
            let historic = try await session.collectUntilEOSE("hist")
            #expect(eventIDs(historic, "hist") == preloaded.map(\.id))
            #expect(historic.last == .eose(subscriptionID: "hist"))
            for case .event(_, let e) in historic { #expect(e.isValid) }

            // Live: a subscription opened with limit 0 gets an event published afterwards.
            try await session.send(.req(subscriptionID: "live", filters: [Filter(authors: [keys.publicKey], kinds: [1], limit: 0)]))
            #expect(try await session.next() == .eose(subscriptionID: "live"))
            let note = keys.sign(kind: 1, content: "hello from grasp-sync", createdAt: now)
            try await session.send(.event(note))
            var sawOK = false
            var sawLive = false
            while !(sawOK && sawLive) {
                switch try await session.next() {
                case .ok(note.id, let accepted, let message):
                    #expect(accepted, "LocalRelay refused the note: \(message)")
                    sawOK = true
                case .event("live", let e):
                    #expect(e == note)
                    sawLive = true
                case let other:
                    Issue.record("unexpected message \(other)")
                    sawOK = true
                    sawLive = true
                }
            }
            try await session.send(.close(subscriptionID: "live"))
            await session.close()
            #expect(await session.closeReason() == nil)
            await peer.stop()
        } catch {
            await peer.stop()
            throw error
        }
    }
}

/// A running `nostr_sdk_local_relay.py`.
final class NostrSDKLocalRelay: @unchecked Sendable {
    let url: RelayURL
    let loaded: Int
    private let process: Process
    private let stdin: Pipe
    private let directory: URL

    /// The venv interpreter: `GRASP_SYNC_TEST_PYTHON`, else `<repo>/.venv/bin/python`.
    static let python: String? = {
        if let env = ProcessInfo.processInfo.environment["GRASP_SYNC_TEST_PYTHON"], !env.isEmpty,
           FileManager.default.isExecutableFile(atPath: env) {
            return env
        }
        let local = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = repositoryRoot.appendingPathComponent("Tests/RelayTests/Interop/nostr_sdk_local_relay.py")

    private init(url: RelayURL, loaded: Int, process: Process, stdin: Pipe, directory: URL) {
        self.url = url
        self.loaded = loaded
        self.process = process
        self.stdin = stdin
        self.directory = directory
    }

    struct StartFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts the relay on a free port with `events` preloaded; returns once it serves.
    static func start(events: [NostrEvent]) async throws -> NostrSDKLocalRelay {
        guard let python else { throw StartFailed(description: "no python") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("events.jsonl")
        try events.map(\.jsonText).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, "--port", "0", "--events", file.path]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        try process.run()

        let reader = stdout.fileHandleForReading
        let line: String?
        do {
            line = try await withDeadline(60, "nostr-sdk LocalRelay start") {
                await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
                    DispatchQueue.global().async {
                        var bytes: [UInt8] = []
                        while true {
                            let chunk = reader.availableData
                            if chunk.isEmpty { return c.resume(returning: nil) }
                            for byte in chunk {
                                if byte == UInt8(ascii: "\n") { return c.resume(returning: String(decoding: bytes, as: UTF8.self)) }
                                bytes.append(byte)
                            }
                        }
                    }
                }
            }
        } catch {
            process.terminate()
            throw error
        }
        guard let line, let json = try? JSONValue.parse(line) else {
            process.terminate()
            throw StartFailed(description: "no start line from \(script.lastPathComponent)")
        }
        guard let urlText = json["url"]?.stringValue, let url = RelayURL(urlText) else {
            process.terminate()
            throw StartFailed(description: "LocalRelay failed to start: \(line)")
        }
        let loaded = Int(json["loaded"]?.int64Value ?? -1)
        return NostrSDKLocalRelay(url: url, loaded: loaded, process: process, stdin: stdin, directory: dir)
    }

    /// Closes stdin (the script then shuts the relay down) and waits for the process.
    func stop() async {
        try? stdin.fileHandleForWriting.close()
        let process = self.process
        let exited = (try? await withDeadline(30, "nostr-sdk LocalRelay stop") {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    process.waitUntilExit()
                    c.resume()
                }
            }
            return true
        }) ?? false
        if !exited { process.terminate() }
        try? FileManager.default.removeItem(at: directory)
    }
}
