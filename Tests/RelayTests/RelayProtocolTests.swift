import Foundation
import Nostr
import Relay
import Testing
import Transport

/// End-to-end NIP-01/11/45 behaviour over a real socket to an in-process relay.
@Suite struct RelayProtocolTests {
    @Test func nip11DocumentAdvertisesNipsGraspsAndLimits() async throws {
        try await RelayTestHarness.withRelay { relay in
            let doc = try await relay.information()
            let nips = doc["supported_nips"]?.arrayValue?.compactMap(\.int64Value) ?? []
            #expect(Set(nips).isSuperset(of: [1, 11, 34, 45, 77]))
            #expect(doc["supported_grasps"]?.arrayValue?.compactMap(\.stringValue) == ["GRASP-02"])
            #expect(doc["limitation"]?["max_limit"]?.int64Value == 500)
            #expect(doc["limitation"]?["max_subscriptions"]?.int64Value == 50)
            #expect(doc["software"]?.stringValue != nil)
            let plain = try await HTTPGet.fetch(host: "127.0.0.1", port: relay.port, path: "/")
            #expect(plain.status == 200)
            #expect(!plain.body.hasPrefix("{"))
        }
    }

    @Test func publishThenQueryReturnsStoredEventsThenEOSE() async throws {
        try await RelayTestHarness.withRelay { relay in
            let client = try await relay.connect()
            let repo = Fixtures.announcement()
            let issue = Fixtures.issue(for: repo, createdAt: repo.createdAt + 1)
            for e in [repo, issue] {
                try await client.send(.event(e))
                #expect(try await client.next() == .ok(eventID: e.id, accepted: true, message: ""))
            }
            try await client.send(.event(repo))
            guard case .ok(_, true, let msg) = try await client.next() else { Issue.record("expected OK"); return }
            #expect(msg.hasPrefix("duplicate:"))
            try await client.send(.req(subscriptionID: "q", filters: [Filter(kinds: [30617, 1621])]))
            let replies = try await client.collectUntilEOSE("q")
            #expect(replies == [.event(subscriptionID: "q", event: issue), .event(subscriptionID: "q", event: repo), .eose(subscriptionID: "q")])
            await client.close()
        }
    }

    @Test func liveEventsReachOpenSubscriptionsOnly() async throws {
        try await RelayTestHarness.withRelay { relay in
            let reader = try await relay.connect()
            let writer = try await relay.connect()
            try await reader.send(.req(subscriptionID: "live", filters: [Filter(kinds: [1621], limit: 0)]))
            #expect(try await reader.collectUntilEOSE("live") == [.eose(subscriptionID: "live")])
            let repo = Fixtures.announcement()
            let issue = Fixtures.issue(for: repo)
            try await writer.send(.event(repo))
            _ = try await writer.next()
            try await writer.send(.event(issue))
            _ = try await writer.next()
            // The announcement does not match the filter; the issue does.
            #expect(try await reader.next() == .event(subscriptionID: "live", event: issue))
            try await reader.send(.close(subscriptionID: "live"))
            try await reader.send(.count(subscriptionID: "c", filters: [Filter(kinds: [1621])]))
            #expect(try await reader.next() == .count(subscriptionID: "c", count: 1))
            await reader.close()
            await writer.close()
        }
    }

    @Test func limitDefaultsAndCapsAt500NewestFirst() async throws {
        try await RelayTestHarness.withRelay { relay in
            let repo = Fixtures.announcement()
            _ = relay.relay.ingestor.ingest(repo)
            for i in 0..<520 {
                let r = relay.relay.ingestor.ingest(Fixtures.issue(for: repo, subject: "s\(i)", createdAt: repo.createdAt + Int64(i)))
                #expect(r == .saved)
            }
            let client = try await relay.connect()
            try await client.send(.req(subscriptionID: "all", filters: [Filter(kinds: [1621], limit: 10_000)]))
            let replies = try await client.collectUntilEOSE("all")
            let times = replies.compactMap { m -> Int64? in if case .event(_, let e) = m { return e.createdAt } else { return nil } }
            #expect(times.count == 500)
            #expect(times == times.sorted(by: >))
            #expect(times.first == repo.createdAt + 519)
            try await client.send(.req(subscriptionID: "few", filters: [Filter(kinds: [1621], limit: 3)]))
            #expect(try await client.collectUntilEOSE("few").count == 4)
            await client.close()
        }
    }

    @Test func normalEndOfStoredEventsNeverSendsClosed() async throws {
        try await RelayTestHarness.withRelay { relay in
            let client = try await relay.connect(compression: false)
            try await client.send(.req(subscriptionID: "s", filters: [Filter(kinds: [1])]))
            #expect(try await client.next() == .eose(subscriptionID: "s"))
            // A follow-up COUNT proves no CLOSED was queued behind the EOSE.
            try await client.send(.count(subscriptionID: "n", filters: [Filter(kinds: [1])]))
            #expect(try await client.next() == .count(subscriptionID: "n", count: 0))
            await client.close()
        }
    }
}
