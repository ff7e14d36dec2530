import Foundation
import Nostr
import Testing

/// The operator tools (`grasp-sync import`, `export`, `status`) run as subprocesses of the
/// built binary, alone and next to a running node on the same data directory.
@Suite("End-to-end: operator tools (import, export, status)", .timeLimit(.minutes(5)))
struct ToolsEndToEndTests {
    /// `count` repositories listing `service`, each with one event of every kind.
    static func histories(_ count: Int, service: String, base: Int64 = E2EEvents.now - 86_400) -> [E2ERepoHistory] {
        (0..<count).map { E2ERepoHistory(relays: [service], base: base + Int64($0) * 10) }
    }

    @Test("import through the policy, duplicate re-import, export in created_at order with filters")
    func importAndExport() async throws {
        try await E2E.scenario("tools-import-export") { scenario in
            let data = scenario.file("data").path
            let service = "ws://127.0.0.1:7447"
            let stored = Self.histories(12, service: service).flatMap(\.all)
            // Refused by the policy: an announcement for another relay, an unrelated note,
            // a tampered signature.
            let stranger = NostrKeypair.generate()
            let foreign = E2ERepo(relays: ["wss://elsewhere.example.com"], createdAt: E2EEvents.now - 100).announcement
            let note = stranger.sign(kind: 1, tags: [], content: "unrelated", createdAt: E2EEvents.now - 50)
            var tampered = stored[3]
            tampered = NostrEvent(id: tampered.id, pubkey: tampered.pubkey, createdAt: tampered.createdAt, kind: tampered.kind,
                                  tags: tampered.tags, content: tampered.content + " (edited)", sig: tampered.sig)
            let file = scenario.file("in.jsonl")
            try E2EEvents.writeJSONLines(stored.shuffled() + [foreign, note, tampered], to: file)

            let first = try await ToolProcess.run(["import", "--file", file.path, "--data-dir", data], in: scenario.workDirectory)
            try #require(first.status == 0, "\(first)")
            #expect(first.lines.contains("stored: \(stored.count)") || first.stdout.contains("stored: \(stored.count) ("), "\(first)")
            #expect(first.stdout.contains("refused: 3"), "\(first)")
            #expect(first.stdout.contains("announcement must list this relay"), "\(first)")
            #expect(first.stdout.contains("references no accepted repository or event"), "\(first)")
            #expect(first.stdout.contains("invalid: event id does not match") || first.stdout.contains("invalid: signature"), "\(first)")

            // Standard input, again: everything is a duplicate now.
            let again = try await ToolProcess.run(["import", "--data-dir", data], in: scenario.workDirectory, stdin: file)
            try #require(again.status == 0, "\(again)")
            #expect(again.lines.contains("stored: 0"), "\(again)")
            #expect(again.lines.contains("duplicate: \(stored.count)"), "\(again)")

            let export = try await ToolProcess.run(["export", "--data-dir", data], in: scenario.workDirectory)
            try #require(export.status == 0, "\(export)")
            let exported = try export.lines.map { try NostrEvent(jsonText: $0) }
            #expect(Set(exported.map(\.id)) == Set(stored.map(\.id)))
            #expect(exported.count == stored.count)
            let order = exported.map(\.createdAt)
            #expect(order == order.sorted(), "export is not in created_at order")
            #expect(export.stderr.contains("exported \(stored.count) events"), "\(export)")

            let announcements = try await ToolProcess.run(["export", "--data-dir", data, "--filter", #"{"kinds":[30617]}"#],
                                                          in: scenario.workDirectory)
            #expect(announcements.status == 0)
            #expect(try announcements.lines.map { try NostrEvent(jsonText: $0).kind } == Array(repeating: 30617, count: 12))

            let cutoff = order[order.count / 2]
            let recent = try await ToolProcess.run(["export", "--data-dir", data, "--since", String(cutoff)], in: scenario.workDirectory)
            #expect(recent.status == 0)
            #expect(recent.lines.count == order.filter { $0 >= cutoff }.count)

            // The round trip: the export loads into a fresh data directory unchanged.
            let dump = scenario.file("dump.jsonl")
            try Data(export.stdout.utf8).write(to: dump)
            let restore = try await ToolProcess.run(["import", "--no-policy", "--file", dump.path, "--data-dir", scenario.file("restored").path],
                                                    in: scenario.workDirectory)
            #expect(restore.status == 0, "\(restore)")
            #expect(restore.lines.contains("stored: \(stored.count)"), "\(restore)")
        }
    }

    @Test("import --no-policy loads what the policy refuses; bad input is refused with a message and a non-zero exit")
    func noPolicyAndBadInput() async throws {
        try await E2E.scenario("tools-bad-input") { scenario in
            let data = scenario.file("data").path
            let stranger = NostrKeypair.generate()
            let notes = (0..<5).map { stranger.sign(kind: 1, tags: [], content: "note \($0)", createdAt: E2EEvents.now - 100 + Int64($0)) }
            let file = scenario.file("notes.jsonl")
            try E2EEvents.writeJSONLines(notes, to: file)

            let policed = try await ToolProcess.run(["import", "--file", file.path, "--data-dir", data], in: scenario.workDirectory)
            #expect(policed.status == 0, "\(policed)")
            #expect(policed.lines.contains("stored: 0") && policed.stdout.contains("refused: 5"), "\(policed)")
            let archive = try await ToolProcess.run(["import", "--no-policy", "--file", file.path, "--data-dir", data], in: scenario.workDirectory)
            #expect(archive.status == 0, "\(archive)")
            #expect(archive.lines.contains("stored: 5"), "\(archive)")

            let garbage = scenario.file("garbage.jsonl")
            try Data("not json\n{\"kind\":1}\n".utf8).write(to: garbage)
            let bad = try await ToolProcess.run(["import", "--file", garbage.path, "--data-dir", data], in: scenario.workDirectory)
            #expect(bad.status == 1, "\(bad)")
            #expect(bad.stderr.contains("2 line(s) were not events"), "\(bad)")

            let missing = try await ToolProcess.run(["import", "--file", scenario.file("nope.jsonl").path, "--data-dir", data],
                                                    in: scenario.workDirectory)
            #expect(missing.status != 0 && missing.stderr.contains("cannot open"), "\(missing)")

            let badFilter = try await ToolProcess.run(["export", "--data-dir", data, "--filter", #"{"kinds":"x"}"#], in: scenario.workDirectory)
            #expect(badFilter.status != 0 && badFilter.stderr.contains("is not a Nostr filter"), "\(badFilter)")

            let noData = try await ToolProcess.run(["export", "--data-dir", scenario.file("absent").path], in: scenario.workDirectory)
            #expect(noData.status != 0 && noData.stderr.contains("no database at"), "\(noData)")
            #expect(!FileManager.default.fileExists(atPath: scenario.file("absent").path), "export created a data directory")

            let badLevel = try await ToolProcess.run(["export", "--data-dir", data, "--log-level", "loud"], in: scenario.workDirectory)
            #expect(badLevel.status != 0 && badLevel.stderr.contains("unknown log level"), "\(badLevel)")

            // Options come from the environment as well.
            var env = ProcessInfo.processInfo.environment
            env["GRASP_SYNC_DATA_DIR"] = data
            let fromEnv = try await ToolProcess.run(["export"], in: scenario.workDirectory, environment: env)
            #expect(fromEnv.status == 0 && fromEnv.lines.count == 5, "\(fromEnv)")
        }
    }

    @Test("import and export while the node runs on the same data directory; status shows the node as a table")
    func toolsNextToARunningNode() async throws {
        try await E2E.scenario("tools-running-node") { scenario in
            let port = try E2EEnvironment.freePort()
            let deadRelayPort = try E2EEnvironment.freePort()
            let deadRelay = "ws://127.0.0.1:\(deadRelayPort)"
            let node = try await scenario.node("A", port: port, bootstrap: [deadRelay])
            let service = node.url
            let histories = Self.histories(20, service: service)
            let events = histories.flatMap(\.all)
            let file = scenario.file("in.jsonl")
            try E2EEvents.writeJSONLines(events, to: file)

            // A client publishes to the node while import writes to the same database.
            let extra = Self.histories(3, service: service, base: E2EEvents.now - 3_600).flatMap(\.all)
            async let published: Void = E2EClient.with(node.url) { try await $0.publishAccepted(extra) }
            let run = try await ToolProcess.run(["import", "--file", file.path, "--data-dir", node.dataDirectory.path,
                                                 "--service-url", service, "--batch-size", "10"], in: scenario.workDirectory)
            try await published
            try #require(run.status == 0, "\(run)")
            #expect(run.lines.contains("stored: \(events.count)"), "\(run)")
            // The node serves what import wrote (its own SQLite connections see the commits).
            try await E2E.waitForEvents((events + extra).map(\.id), on: node, "imported and published events", deadline: 30)

            let export = try await ToolProcess.run(["export", "--data-dir", node.dataDirectory.path], in: scenario.workDirectory)
            #expect(export.status == 0, "\(export)")
            #expect(Set(export.lines.compactMap { try? NostrEvent(jsonText: $0).id }) == Set((events + extra).map(\.id)))

            // The status table: node figures, and a row for the unreachable bootstrap relay.
            var table = ToolRun(arguments: [], status: -1, stdout: "", stderr: "")
            try await E2E.waitUntil("status lists \(deadRelay) with a failure") {
                table = try await ToolProcess.run(["status", "--url", "http://127.0.0.1:\(port)"], in: scenario.workDirectory)
                guard table.status == 0 else { return "\(table)" }
                let row = table.lines.first { $0.hasPrefix(deadRelay) } ?? ""
                return row.contains("Disconnected") && !row.hasSuffix(" -") ? nil : table.stdout
            }
            #expect(table.stdout.contains("stored events: \((events + extra).count)"), "\(table)")
            #expect(table.lines.contains { $0.hasPrefix("RELAY") && $0.contains("NEXT RETRY") && $0.contains("MODE") }, "\(table)")
            #expect(table.lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("30617") && $0.hasSuffix(" \(23)") }, "\(table)")
            // Also through --host/--port, as the node's own options.
            let byPort = try await ToolProcess.run(["status", "--port", String(port)], in: scenario.workDirectory)
            #expect(byPort.status == 0 && byPort.stdout.contains(deadRelay), "\(byPort)")

            // No node there: a clear message and exit 1.
            let none = try await ToolProcess.run(["status", "--url", "http://127.0.0.1:\(deadRelayPort)"], in: scenario.workDirectory)
            #expect(none.status == 1 && none.stderr.contains("is the node running?"), "\(none)")
            let badURL = try await ToolProcess.run(["status", "--url", "ftp://x"], in: scenario.workDirectory)
            #expect(badURL.status != 0 && badURL.stderr.contains("is not an http:// or https:// URL"), "\(badURL)")
            #expect(node.isRunning)

            // Readable logs: the retry deadline as ISO-8601 and relative, one line per health change.
            let log = node.stderrText()
            #expect(log.range(of: #"next attempt at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \((in \d+s|now)\)"#, options: .regularExpression) != nil,
                    "no readable retry time in the log")
            #expect(log.contains("relay \(deadRelay) health: disconnected -> degraded (1 consecutive failure"), "no health change line")
        }
    }
}
