import Foundation
import Nostr
import Testing

/// Node A syncing from Python relays: the nostr-sdk LocalRelay (NIP-77) and our REQ-only
/// test relay (`Peers/req_only_relay.py`).
@Suite("End-to-end: sync from other relay implementations", .timeLimit(.minutes(5)))
struct PeerRelaySyncEndToEndTests {
    @Test("4. sync from the nostr-sdk LocalRelay (negentropy path) brings every preloaded event")
    func syncFromNostrSdkLocalRelay() async throws {
        try await E2E.scenario("nostr-sdk-local-relay") { scenario in
            let aPort = try E2EEnvironment.freePort()
            let relayPort = try E2EEnvironment.freePort()
            let base = E2EEvents.now - 900
            let repo = E2ERepo(relays: ["ws://127.0.0.1:\(aPort)", "ws://127.0.0.1:\(relayPort)"], createdAt: base)
            let contributor = NostrKeypair.generate()
            let issues = (0..<30).map { repo.issue(by: contributor, subject: "issue \($0)", createdAt: base + 10 + Int64($0)) }
            let comments = issues.prefix(10).enumerated().map {
                E2EEvents.comment(on: $0.element, by: repo.owner, text: "comment \($0.offset)", createdAt: base + 100 + Int64($0.offset))
            }
            let patch = repo.patch(by: contributor, createdAt: base + 200)
            let events = [repo.announcement, repo.state(createdAt: base + 1)] + issues + comments
                + [patch, E2EEvents.status(of: patch, by: repo.owner, createdAt: base + 201)]
            let file = scenario.file("local-relay-events.jsonl")
            try E2EEvents.writeJSONLines(events, to: file)

            let relay = try await scenario.peer("nostr-sdk-local-relay", script: try E2EEnvironment.localRelayScript(),
                                                arguments: ["--port", String(relayPort), "--events", file.path])
            #expect(relay.ready["loaded"] as? Int == events.count, "LocalRelay preload: \(relay.ready)")

            let a = try await scenario.node("A", port: aPort, bootstrap: [relay.url])
            try await E2E.waitForEvents(events.map(\.id), on: a, "every event preloaded on the LocalRelay", deadline: 90)
            try await E2E.waitForConnectionStatus(3, of: relay.url, on: a)
            // The node logs a fallback line when a relay refuses NIP-77; the LocalRelay speaks it.
            let log = a.stderrText()
            #expect(!log.contains("does not do NIP-77"), "A fell back to REQ/EOSE against the nostr-sdk LocalRelay")
        }
    }

    @Test("5. sync from a relay that refuses NIP-77: REQ/EOSE pagination past the 500 cap, shared second at a page boundary")
    func syncFromReqOnlyRelayWithPagination() async throws {
        try await E2E.scenario("req-only-pagination") { scenario in
            let aPort = try E2EEnvironment.freePort()
            let relayPort = try E2EEnvironment.freePort()
            let now = E2EEvents.now
            let repo = E2ERepo(relays: ["ws://127.0.0.1:\(aPort)", "ws://127.0.0.1:\(relayPort)"], createdAt: now - 7200)
            let author = NostrKeypair.generate()
            // Newest first: issue i at top - i, except 495...506 which share one second, so
            // the relay's first 500-event page ends in the middle of that second.
            let top = now - 10
            let shared = 495...506
            let issues = (0..<1200).map { i in
                repo.issue(by: author, subject: "bulk \(i)", createdAt: shared.contains(i) ? top - Int64(shared.lowerBound) : top - Int64(i))
            }
            let events = [repo.announcement] + issues
            let file = scenario.file("req-only-events.jsonl")
            let stats = scenario.file("req-only-stats.json")
            try E2EEvents.writeJSONLines(events, to: file)

            let relay = try await scenario.peer("req-only-relay", script: try E2EEnvironment.peerScript("req_only_relay.py"),
                                                arguments: ["--port", String(relayPort), "--events", file.path, "--stats", stats.path])
            #expect(relay.ready["loaded"] as? Int == events.count)

            let a = try await scenario.node("A", port: aPort, bootstrap: [relay.url])
            try await E2E.waitForEvents(events.map(\.id), on: a, "all 1,201 events from the REQ-only relay", deadline: 180)
            try await E2E.waitForConnectionStatus(3, of: relay.url, on: a)

            let counters = try PeerStats(stats)
            #expect(counters.negOpen >= 1, "A never tried NIP-77 on the relay: \(counters)")
            #expect(counters.fullPages >= 2, "the relay never served two capped (500) pages, so pagination was not exercised: \(counters)")
            #expect(counters.maxPage == 500, "\(counters)")
        }
    }

    @Test("6a. a relay that always fails ends Degraded (3) with backoff")
    func unreachableRelayIsDegradedWithBackoff() async throws {
        try await E2E.scenario("unreachable-relay") { scenario in
            let deadURL = "ws://127.0.0.1:\(try E2EEnvironment.freePort())"
            let a = try await scenario.node("A", bootstrap: [deadURL])
            try await E2E.waitUntil("\(deadURL) degraded with a retry scheduled in the future", deadline: 60) {
                let status = try await a.status()
                guard let relay = status.relay(deadURL) else { return "not in /status: \(status.relays.map(\.url))" }
                let metrics = try await a.metrics()
                let health = metrics.value("ngit_sync_relay_status", ["relay": deadURL])
                let summary = "health \(relay.health)/\(relay.healthCode), gauge \(health.map { String($0) } ?? "absent"), "
                    + "failures \(relay.consecutiveFailures), next_retry_at \(relay.nextRetryAt.map { String($0) } ?? "null"), "
                    + "generated_at \(status.generatedAt), status \(relay.status)"
                guard relay.healthCode == 3, relay.health == "degraded", health == 3 else { return summary }
                guard relay.consecutiveFailures >= 2 else { return summary }
                guard let next = relay.nextRetryAt, next > status.generatedAt else { return summary }
                return nil
            }
            let metrics = try await a.metrics()
            let failures = metrics.value("ngit_sync_connection_attempts_total", ["relay": deadURL, "result": "failure"]) ?? 0
            #expect(failures >= 2, "connection attempts with result=failure: \(failures)\n\(metrics)")
            let connected = metrics.value("ngit_sync_relay_connected", ["relay": deadURL]) ?? -1
            #expect(connected < 2, "an unreachable relay reported as connected (\(connected))")
        }
    }

    @Test("6b. a relay that answers REQs with rate-limited refusals ends RateLimited (5), then recovers and delivers")
    func rateLimitedRelayRecovers() async throws {
        try await E2E.scenario("rate-limited-relay") { scenario in
            let aPort = try E2EEnvironment.freePort()
            let relayPort = try E2EEnvironment.freePort()
            let relayURL = "ws://127.0.0.1:\(relayPort)"
            let base = E2EEvents.now - 600
            let repo = E2ERepo(relays: ["ws://127.0.0.1:\(aPort)", relayURL], createdAt: base)
            let contributor = NostrKeypair.generate()
            let issues = (0..<5).map { repo.issue(by: contributor, subject: "issue \($0)", createdAt: base + 10 + Int64($0)) }
            let events = [repo.announcement, repo.state(createdAt: base + 1)] + issues
                + [E2EEvents.comment(on: issues[0], by: repo.owner, text: "hi", createdAt: base + 20)]
            let file = scenario.file("rate-limited-events.jsonl")
            let stats = scenario.file("rate-limited-stats.json")
            try E2EEvents.writeJSONLines(events, to: file)

            // The first two REQs (A's live and historic layer-1 subscriptions) are refused with
            // ["CLOSED", sub, "rate-limited: slow down"].
            let relay = try await scenario.peer("rate-limited-relay", script: try E2EEnvironment.peerScript("req_only_relay.py"),
                                                arguments: ["--port", String(relayPort), "--events", file.path, "--stats", stats.path,
                                                            "--rate-limit-first", "2"])
            let a = try await scenario.node("A", port: aPort, bootstrap: [relay.url])

            try await E2E.waitUntil("\(relay.url) rate-limited on A", deadline: 60, poll: 0.1) {
                let health = try await a.healthStatus(of: relay.url)
                return health == 5 ? nil : "ngit_sync_relay_status \(health.map { String($0) } ?? "absent")"
            }
            let during = try await a.status()
            #expect(during.relay(relay.url)?.health == "rate_limited", "/status during the cooldown: \(String(describing: during.relay(relay.url)))")
            print("[e2e rate-limited-relay] rate limited at \(Date()); waiting for the cooldown to end")

            // Recovery: every event arrives, the relay is Connected (3) and healthy again.
            try await E2E.waitForEvents(events.map(\.id), on: a, "every event of the rate-limited relay", deadline: 240)
            try await E2E.waitUntil("\(relay.url) connected and healthy on A after the cooldown", deadline: 120) {
                let metrics = try await a.metrics()
                let connected = metrics.value("ngit_sync_relay_connected", ["relay": relay.url])
                let health = metrics.value("ngit_sync_relay_status", ["relay": relay.url])
                return connected == 3 && health == 1 ? nil : "connected \(String(describing: connected)), health \(String(describing: health))"
            }
            let counters = try PeerStats(stats)
            #expect(counters.rateLimited == 2, "\(counters)")

            // Live traffic flows again after the recovery: a new announcement (layer 1) and an
            // issue on the first repository (layer 2) published on the relay reach A.
            let repo2 = E2ERepo(relays: ["ws://127.0.0.1:\(aPort)", relayURL], createdAt: E2EEvents.now)
            let lateIssue = repo.issue(by: contributor, subject: "after the cooldown", createdAt: E2EEvents.now)
            try await E2EClient.with(relay.url) { try await $0.publishAccepted([lateIssue, repo2.announcement]) }
            try await E2E.waitForEvents(labelled: [("live issue (layer 2)", lateIssue), ("live announcement (layer 1)", repo2.announcement)],
                                        on: a, deadline: 60)
        }
    }
}

/// The REQ-only relay's `--stats` file.
struct PeerStats: CustomStringConvertible {
    let reqs: Int
    let rateLimited: Int
    let negOpen: Int
    let maxPage: Int
    let fullPages: Int

    init(_ url: URL) throws {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw E2EError.protocolError("bad stats file \(url.path)")
        }
        reqs = object["reqs"] as? Int ?? -1
        rateLimited = object["rate_limited"] as? Int ?? -1
        negOpen = object["neg_open"] as? Int ?? -1
        maxPage = object["max_page"] as? Int ?? -1
        fullPages = object["full_pages"] as? Int ?? -1
    }

    var description: String {
        "reqs \(reqs), rate_limited \(rateLimited), neg_open \(negOpen), max_page \(maxPage), full_pages \(fullPages)"
    }
}
