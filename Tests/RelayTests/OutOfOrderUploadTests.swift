import Foundation
import Nostr
import Relay
import Testing
import Transport

/// An upload that sends newest first (as `strfry sync --dir up` does) loses nothing: every
/// reply is refused at first for its missing reference, held, and stored once the
/// announcement it ultimately hangs off arrives.
@Suite struct OutOfOrderUploadTests {
    /// One announcement listing the service, 20 issues, 2 comments and a status on each.
    static func corpus() -> [NostrEvent] {
        let base = Fixtures.now - 10_000
        let repo = Fixtures.announcement(createdAt: base)
        var events = [repo]
        for i in 0..<20 {
            let at = base + 1 + Int64(i) * 10
            let issue = Fixtures.issue(for: repo, subject: "issue \(i)", createdAt: at)
            events.append(issue)
            for c in 0..<2 {
                events.append(Fixtures.owner.sign(kind: 1111, tags: [
                    ["E", issue.id, "", issue.pubkey], ["K", "1621"], ["P", issue.pubkey],
                    ["e", issue.id, "", issue.pubkey], ["k", "1621"], ["p", issue.pubkey],
                ], content: "comment \(c) on \(i)", createdAt: at + 1 + Int64(c)))
            }
            events.append(Fixtures.owner.sign(kind: 1630, tags: [["e", issue.id, "", "root"], ["p", issue.pubkey]],
                                              content: "", createdAt: at + 3))
        }
        return events
    }

    @Test func newestFirstUploadEndsWithEveryEventStored() async throws {
        let corpus = Self.corpus()
        #expect(corpus.count == 81)
        let newestFirst = corpus.sorted { $0.createdAt > $1.createdAt }
        #expect(newestFirst.last?.kind == 30617)
        try await RelayTestHarness.withRelay { relay in
            let client = try await relay.connect()
            var answers: [String: (accepted: Bool, message: String)] = [:]
            for event in newestFirst {
                try await client.send(.event(event))
                guard case .ok(let id, let accepted, let message) = try await client.next(), id == event.id else {
                    Issue.record("expected OK for \(event.id)")
                    return
                }
                answers[id] = (accepted, message)
            }
            // Every reply was refused honestly at the time; only the announcement was taken at once.
            let refused = answers.values.filter { !$0.accepted }
            #expect(refused.count == 80)
            #expect(refused.allSatisfy { $0.message.hasPrefix("blocked:") })
            #expect(answers[corpus[0].id]?.accepted == true)

            try await client.send(.req(subscriptionID: "all", filters: [Filter(kinds: [30617, 1621, 1111, 1630], limit: 500)]))
            let stored = try await client.collectUntilEOSE("all").compactMap { m -> String? in
                if case .event(_, let e) = m { return e.id } else { return nil }
            }
            #expect(Set(stored) == Set(corpus.map(\.id)))
            #expect(stored.count == corpus.count)
            #expect(relay.relay.ingestor.deferred.statistics.events == 0)
            #expect(relay.relay.ingestor.deferred.statistics.accepted == 80)
            await client.close()
        }
    }
}
