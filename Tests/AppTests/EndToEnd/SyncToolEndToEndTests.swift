import Foundation
import Nostr
import Testing

/// `grasp-sync sync <relay>` as a subprocess: against a running grasp-sync node (NIP-77)
/// down, up and dry, and against a relay without NIP-77 (REQ/EOSE fallback).
@Suite("End-to-end: grasp-sync sync (one-shot)", .timeLimit(.minutes(5)))
struct SyncToolEndToEndTests {
    static let generousLimits = ["--no-sync", "--max-events-per-sec-per-connection", "100000", "--event-burst-per-connection", "100000",
                                 "--max-events-per-sec-per-ip", "100000", "--event-burst-per-ip", "100000"]

    @Test("down (dry run first) into a running node's data directory, again with nothing to do, then up; refusals of bad input")
    func downAndUpAgainstANode() async throws {
        try await E2E.scenario("sync-tool-node") { scenario in
            let b = try await scenario.node("B", extraArguments: Self.generousLimits)
            let onRelay = ToolsEndToEndTests.histories(15, service: b.url).flatMap(\.all)
            let file = scenario.file("relay.jsonl")
            try E2EEvents.writeJSONLines(onRelay, to: file)
            let load = try await ToolProcess.run(["import", "--file", file.path, "--data-dir", b.dataDirectory.path, "--service-url", b.url],
                                                 in: scenario.workDirectory)
            try #require(load.status == 0 && load.lines.contains("stored: \(onRelay.count)"), "\(load)")

            // The data directory synced into is a running node's (C): the tool works beside it.
            let c = try await scenario.node("C", extraArguments: ["--no-sync"])
            let local = c.dataDirectory.path
            let common = ["--data-dir", local, "--service-url", b.url, "--allow-private-relays"]
            let dry = try await ToolProcess.run(["sync", b.url, "--dry-run"] + common, in: scenario.workDirectory)
            try #require(dry.status == 0, "\(dry)")
            #expect(dry.lines.first?.contains("NIP-77") == true, "\(dry)")
            #expect(dry.lines.contains("relay only: \(onRelay.count)"), "\(dry)")
            let afterDry = try await ToolProcess.run(["export", "--data-dir", local], in: scenario.workDirectory)
            #expect(afterDry.status == 0 && afterDry.lines.isEmpty, "a dry run stored events: \(afterDry)")

            let down = try await ToolProcess.run(["sync", b.url] + common, in: scenario.workDirectory)
            try #require(down.status == 0, "\(down)")
            #expect(down.stdout.contains("down: \(onRelay.count) received, \(onRelay.count) stored"), "\(down)")
            let exported = try await ToolProcess.run(["export", "--data-dir", local], in: scenario.workDirectory)
            #expect(Set(exported.lines.compactMap { try? NostrEvent(jsonText: $0).id }) == Set(onRelay.map(\.id)))

            try await E2E.waitForEvents(onRelay.map(\.id), on: c, "events synced into C's data directory", deadline: 30)
            let again = try await ToolProcess.run(["sync", b.url] + common, in: scenario.workDirectory)
            #expect(again.status == 0 && again.lines.contains("relay only: 0"), "\(again)")

            // Up: events only the data directory holds reach the relay.
            let onlyLocal = ToolsEndToEndTests.histories(4, service: b.url, base: E2EEvents.now - 7_200).flatMap(\.all)
            let localFile = scenario.file("local.jsonl")
            try E2EEvents.writeJSONLines(onlyLocal, to: localFile)
            let loadLocal = try await ToolProcess.run(["import", "--file", localFile.path] + common.prefix(4), in: scenario.workDirectory)
            try #require(loadLocal.status == 0, "\(loadLocal)")
            let up = try await ToolProcess.run(["sync", b.url, "--dir", "up"] + common, in: scenario.workDirectory)
            try #require(up.status == 0, "\(up)")
            #expect(up.lines.contains("local only: \(onlyLocal.count)"), "\(up)")
            #expect(up.stdout.contains("up: \(onlyLocal.count) sent, \(onlyLocal.count) accepted"), "\(up)")
            try await E2E.waitForEvents(onlyLocal.map(\.id), on: b, "events sent up", deadline: 30)
            let both = try await ToolProcess.run(["sync", b.url, "--dir", "both"] + common, in: scenario.workDirectory)
            #expect(both.status == 0 && both.lines.contains("relay only: 0") && both.lines.contains("local only: 0"), "\(both)")

            // Refusals: the SSRF guard, a bad direction, a bad URL, a bad filter.
            let guarded = try await ToolProcess.run(["sync", b.url, "--data-dir", local], in: scenario.workDirectory)
            #expect(guarded.status == 1 && guarded.stderr.contains("allow-private-relays"), "\(guarded)")
            let sideways = try await ToolProcess.run(["sync", b.url, "--dir", "sideways"] + common, in: scenario.workDirectory)
            #expect(sideways.status != 0 && sideways.stderr.contains("--dir must be down, up or both"), "\(sideways)")
            let notRelay = try await ToolProcess.run(["sync", "http://example.com"] + common, in: scenario.workDirectory)
            #expect(notRelay.status != 0 && notRelay.stderr.contains("is not a ws:// or wss:// relay URL"), "\(notRelay)")
            let badFilter = try await ToolProcess.run(["sync", b.url, "--filter", "[1]"] + common, in: scenario.workDirectory)
            #expect(badFilter.status != 0 && badFilter.stderr.contains("is not a Nostr filter"), "\(badFilter)")
            let nobody = try await ToolProcess.run(["sync", "ws://127.0.0.1:\(try E2EEnvironment.freePort())"] + common,
                                                   in: scenario.workDirectory)
            #expect(nobody.status == 1 && nobody.stderr.contains("cannot connect to"), "\(nobody)")
        }
    }

    @Test("a relay without NIP-77: REQ/EOSE pagination brings everything")
    func reqFallback() async throws {
        try await E2E.scenario("sync-tool-req-only") { scenario in
            let service = "ws://127.0.0.1:7447"
            // 700 issues over 1 repository: more than one 500-event page.
            let repo = E2ERepo(relays: [service], createdAt: E2EEvents.now - 10_000)
            let author = NostrKeypair.generate()
            let events = [repo.announcement] + (0..<700).map { repo.issue(by: author, subject: "bulk \($0)", createdAt: E2EEvents.now - 5_000 + Int64($0)) }
            let file = scenario.file("req-only.jsonl")
            try E2EEvents.writeJSONLines(events, to: file)
            let relay = try await scenario.peer("req-only-relay", script: try E2EEnvironment.peerScript("req_only_relay.py"),
                                                arguments: ["--port", "0", "--events", file.path])
            let local = scenario.file("local").path
            let run = try await ToolProcess.run(["sync", relay.url, "--data-dir", local, "--allow-private-relays"], in: scenario.workDirectory)
            try #require(run.status == 0, "\(run)")
            #expect(run.lines.first?.contains("REQ/EOSE (NIP-77 not used") == true, "\(run)")
            #expect(run.stdout.contains("\(events.count) stored"), "\(run)")
            let exported = try await ToolProcess.run(["export", "--data-dir", local], in: scenario.workDirectory)
            #expect(exported.lines.count == events.count, "\(exported.lines.count) of \(events.count) exported")
        }
    }
}
