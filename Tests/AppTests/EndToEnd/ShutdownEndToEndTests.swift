import Foundation
import Nostr
import Store
import Testing

/// Issue 12, items 1 and 5: SIGTERM of the real binary ends in bounded time whatever
/// WebSocket clients do, and leaves every event in the `.sqlite` file (WAL checkpointed).
@Suite("End-to-end: bounded shutdown", .timeLimit(.minutes(3)))
struct ShutdownEndToEndTests {
    static let options = ["--no-sync", "--close-timeout-secs", "1", "--shutdown-timeout-secs", "5",
                          "--event-burst-per-connection", "100000", "--event-burst-per-ip", "100000"]

    @Test("SIGTERM completes and saves state while clients neither read, send nor answer the close frame (0 and 20 REQs)")
    func shutdownWithStuckClients() async throws {
        try await E2E.scenario("shutdown-stuck-clients") { scenario in
            // The cancellation backstop (--shutdown-timeout-secs) is set past the hang guard,
            // so only the WebSocket close timeout can end these connections in time.
            let node = try await scenario.node("A", extraArguments: Self.options + ["--shutdown-timeout-secs", "300"])
            let repo = E2ERepo(relays: [node.url], createdAt: E2EEvents.now - 3600)
            let author = NostrKeypair.generate()
            let events = [repo.announcement] + (0..<200).map {
                repo.issue(by: author, subject: "issue \($0) " + String(repeating: "x", count: 400), createdAt: E2EEvents.now - 3000 + Int64($0))
            }
            try await E2EClient.with(node.url) { try await $0.publishAccepted(events) }

            // Stuck client 1: upgraded, nothing else. Stuck client 2: 20 REQs whose answers
            // (20 x 201 events) it never reads, so the server's writes to it block.
            let idle = try RawSocketClient(port: node.port)
            #expect(try idle.upgrade(port: node.port).hasPrefix("HTTP/1.1 101"))
            let busy = try RawSocketClient(port: node.port)
            #expect(try busy.upgrade(port: node.port).hasPrefix("HTTP/1.1 101"))
            for i in 0..<20 {
                try busy.send(RawSocketClient.textFrame(#"["REQ","s\#(i)",{"kinds":[1621,30617],"limit":500}]"#))
            }
            // Hang guard only (the bound here is the 1 s close timeout).
            let how = await node.stop(grace: 60)
            #expect(how == "exit 0", "node did not exit cleanly: \(how)\n\(node.report())")
            #expect(node.stderrText().contains("state saved"), "no 'state saved' line\n\(node.report())")
            withExtendedLifetime((idle, busy)) {}
        }
    }

    @Test("after SIGTERM the WAL is checkpointed (TRUNCATE): the .sqlite file alone holds every event")
    func shutdownCheckpointsTheWAL() async throws {
        try await E2E.scenario("shutdown-checkpoint") { scenario in
            let node = try await scenario.node("A", extraArguments: Self.options)
            let repo = E2ERepo(relays: [node.url], createdAt: E2EEvents.now - 3600)
            let author = NostrKeypair.generate()
            let events = [repo.announcement] + (0..<300).map {
                repo.issue(by: author, subject: "issue \($0)", createdAt: E2EEvents.now - 3000 + Int64($0))
            }
            try await E2EClient.with(node.url) { try await $0.publishAccepted(events) }
            let how = await node.stop(grace: 60)
            #expect(how == "exit 0", "\(how)\n\(node.report())")

            let database = node.dataDirectory.appendingPathComponent("grasp-sync.sqlite")
            let wal = database.path + "-wal"
            let walSize = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
            #expect(walSize == 0, "WAL still holds \(walSize) bytes after shutdown")
            // Copy the database file alone (no WAL) and count what it holds.
            let copy = scenario.file("alone.sqlite")
            try FileManager.default.copyItem(at: database, to: copy)
            let store = try SQLiteEventStore(path: copy.path)
            #expect(try store.totalCount() == events.count)
        }
    }
}
