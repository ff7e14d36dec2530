import Foundation
import Nostr
import Testing

/// Node A syncs from node B (its bootstrap relay), both real `grasp-sync` processes.
@Suite("End-to-end: node-to-node sync", .timeLimit(.minutes(5)))
struct BootstrapSyncEndToEndTests {
    /// B holds a repository (announcement listing A and B, state, issue, patch, PR, comment,
    /// status); A starts with B as bootstrap.
    struct SyncedPair {
        let a: NodeProcess
        let b: NodeProcess
        let history: E2ERepoHistory
    }

    /// Starts B, publishes a repository history there, starts A bootstrapping from B and
    /// waits until A has everything and reports B as Connected (3).
    static func startSyncedPair(_ scenario: E2EScenario) async throws -> SyncedPair {
        let aPort = try E2EEnvironment.freePort()
        let b = try await scenario.node("B")
        let history = E2ERepoHistory(relays: ["ws://127.0.0.1:\(aPort)", b.url])
        try await E2EClient.with(b.url) { try await $0.publishAccepted(history.all) }

        let a = try await scenario.node("A", port: aPort, bootstrap: [b.url])
        // The announcement first: nothing else is acceptable on A before it.
        try await E2E.waitForEvents([history.repo.announcement.id], on: a, "the announcement (30617) from B")
        try await E2E.waitForEvents(labelled: history.labelledDependents, on: a)
        try await E2E.waitForConnectionStatus(3, of: b.url, on: a)
        return SyncedPair(a: a, b: b, history: history)
    }

    @Test("1. bootstrap sync brings the announcement, then issues, patches, PRs, comments (E), statuses (e) and state; B reaches Connected")
    func bootstrapSyncCarriesEveryLayer() async throws {
        try await E2E.scenario("bootstrap-sync") { scenario in
            let pair = try await Self.startSyncedPair(scenario)
            try await E2EClient.with(pair.a.url) { client in
                let stored = try await client.query([Filter(ids: pair.history.all.map(\.id))])
                #expect(Set(stored.map(\.id)) == Set(pair.history.all.map(\.id)))
                // The comment kept its E tag and the status its e tag through the sync.
                let comment = try #require(stored.first { $0.id == pair.history.comment.id })
                #expect(comment.tags == pair.history.comment.tags)
                let state = try #require(stored.first { $0.id == pair.history.state.id })
                #expect(state.pubkey == pair.history.repo.owner.publicKey)
            }
            let metrics = try await pair.a.metrics()
            #expect(metrics.value("ngit_sync_relay_connected", ["relay": pair.b.url]) == 3)
            let synced = try #require(metrics.value("ngit_sync_events_synced_total"), "no ngit_sync_events_synced_total\n\(metrics)")
            #expect(synced >= Double(pair.history.all.count), "A saved \(synced) events by sync, expected at least \(pair.history.all.count)")
        }
    }

    @Test("2. a live event published on B afterwards reaches A (latency printed, not asserted)")
    func liveEventReachesA() async throws {
        try await E2E.scenario("live-sync") { scenario in
            let pair = try await Self.startSyncedPair(scenario)
            let repo = pair.history.repo
            try await E2EClient.with(pair.a.url) { aClient in
                let subscription = try await aClient.subscribe([Filter(tags: ["a": [repo.coordinate]])])
                try await E2EClient.with(pair.b.url) { bClient in
                    // A live issue (layer 2).
                    let issue = repo.issue(by: pair.history.contributor, subject: "live one", createdAt: E2EEvents.now)
                    try await bClient.publishAccepted([issue])
                    let published = Date()
                    var arrived: NostrEvent
                    repeat {
                        arrived = try await aClient.nextEvent(on: subscription.id, deadline: 60)
                    } while arrived.id != issue.id
                    print("[e2e live-sync] live issue B -> A latency: \(String(format: "%.3f", Date().timeIntervalSince(published))) s")
                    #expect(arrived == issue)

                    // A new root and, immediately after, a comment on it (layer 3 for a root A
                    // has not seen when the comment is published).
                    let root = repo.issue(by: pair.history.contributor, subject: "second live one", createdAt: E2EEvents.now)
                    let comment = E2EEvents.comment(on: root, by: repo.owner, text: "me too", createdAt: E2EEvents.now)
                    try await bClient.publishAccepted([root, comment])
                    let start = Date()
                    try await E2E.waitForEvents(labelled: [("live root issue", root), ("comment (E) on the live root", comment)], on: pair.a)
                    print("[e2e live-sync] live root + comment B -> A latency: \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
                }
            }
        }
    }

    @Test("3. A catches up after both nodes restart: events B received while A was away reach A")
    func catchUpAfterRestart() async throws {
        try await E2E.scenario("restart-catch-up") { scenario in
            let pair = try await Self.startSyncedPair(scenario)
            let repo = pair.history.repo

            let stopA = await pair.a.stop()
            #expect(stopA == "exit 0", "A did not stop cleanly on SIGTERM: \(stopA)")

            // B receives new events of every layer while A is away.
            let now = E2EEvents.now
            let newIssue = repo.issue(by: pair.history.contributor, subject: "while A was away", createdAt: now)
            let newPatch = repo.patch(by: pair.history.contributor, createdAt: now)
            let missed: [(String, NostrEvent)] = [
                ("new issue 1621", newIssue),
                ("new patch 1617", newPatch),
                ("new state 30618", repo.state(createdAt: now + 1)),
                ("comment (E) on the old issue", E2EEvents.comment(on: pair.history.issue, by: repo.owner, text: "still broken", createdAt: now)),
                ("status 1631 (e) on the old patch", E2EEvents.status(of: pair.history.patch, by: repo.owner, kind: 1631, createdAt: now)),
                ("comment (E) on the new issue", E2EEvents.comment(on: newIssue, by: repo.owner, text: "on it", createdAt: now + 1)),
                ("status 1630 (e) on the new patch", E2EEvents.status(of: newPatch, by: repo.owner, createdAt: now + 1)),
            ]
            try await E2EClient.with(pair.b.url) { try await $0.publishAccepted(missed.map(\.1)) }

            // B restarts on the same data and still has them.
            let stopB = await pair.b.stop()
            #expect(stopB == "exit 0", "B did not stop cleanly on SIGTERM: \(stopB)")
            try await pair.b.restart()
            try await E2EClient.with(pair.b.url) { client in
                let missing = try await client.missing(missed.map(\.1.id))
                #expect(missing.isEmpty, "B lost \(missing.count) events over its restart")
            }

            // A restarts on its data and catches up.
            try await pair.a.restart()
            try await E2E.waitForEvents(labelled: missed, on: pair.a)
            // (The old state was replaced by the new one on both nodes.)
            try await E2E.waitForEvents(labelled: pair.history.labelledDependents.filter { $0.1.kind != NIP34.repoState }, on: pair.a)
            try await E2E.waitForConnectionStatus(3, of: pair.b.url, on: pair.a)
        }
    }
}

extension E2E {
    /// Waits until `node` holds every labelled event; the timeout names what is missing.
    static func waitForEvents(labelled events: [(String, NostrEvent)], on node: NodeProcess, deadline: Double = 60) async throws {
        let labels = Dictionary(events.map { ($0.1.id, $0.0) }, uniquingKeysWith: { a, _ in a })
        try await E2EClient.with(node.url) { client in
            try await waitUntil("events on \(node.name)", deadline: deadline, poll: 0.25) {
                let missing = try await client.missing(events.map(\.1.id))
                return missing.isEmpty ? nil : "missing: " + missing.map { labels[$0] ?? $0 }.joined(separator: ", ")
            }
        }
    }
}
