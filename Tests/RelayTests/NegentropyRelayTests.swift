import Health
import Foundation
import Nostr
import Reconcile
import Relay
import Store
import Testing
import Transport

/// NIP-77 over a real socket against our relay: our client session end to end, and the
/// relay's refusals.
@Suite struct NegentropyRelayTests {
    // MARK: - Our client against our relay

    @Test(arguments: [0, 4096])
    func clientSessionFindsTheExactDiffThenAnEmptyOneAfterSyncing(frameSizeLimit: Int) async throws {
        let sets = NIP34EventSets.standard
        try await RelayTestHarness.withRelay { relay in
            sets.storeRelaySide(in: relay)
            let session = try await relay.connect()
            let link = SessionNegentropyLink(session: session)

            let first = await NegentropyClientSession.run(link: link, subscriptionID: "neg-a", filter: sets.filter,
                                                          storage: try negentropyStorage(sets.clientEvents), frameSizeLimit: frameSizeLimit, classify: RefusalClassifier.classify)
            guard case .success(let diff) = first else {
                Issue.record("first reconciliation failed: \(first)")
                await session.close()
                return
            }
            #expect(Set(diff.have.map(\.hex)) == sets.onlyClientIDs)
            #expect(Set(diff.need.map(\.hex)) == sets.onlyRelayIDs)
            #expect(diff.have.count == sets.onlyClient.count)
            #expect(diff.need.count == sets.onlyRelay.count)
            if frameSizeLimit > 0 { #expect(diff.rounds > 1, "a 4096-byte client frame limit needs several rounds here") }

            // Sync: download what we need, upload what we have.
            let fetched = try await fetchEvents(ids: diff.need.map(\.hex), over: session)
            #expect(Set(fetched.map(\.id)) == sets.onlyRelayIDs)
            #expect(fetched.count == sets.onlyRelay.count)
            for e in fetched { #expect((try? e.verify()) != nil) }
            for e in sets.onlyClient {
                try await session.send(.event(e))
                #expect(try await session.next() == .ok(eventID: e.id, accepted: true, message: ""))
            }

            // Both sides now hold A∪B∪C: one round trip, nothing to do.
            let second = await NegentropyClientSession.run(link: link, subscriptionID: "neg-b", filter: sets.filter,
                                                           storage: try negentropyStorage(sets.clientEvents + fetched), frameSizeLimit: frameSizeLimit, classify: RefusalClassifier.classify)
            guard case .success(let again) = second else {
                Issue.record("second reconciliation failed: \(second)")
                await session.close()
                return
            }
            #expect(again.have.isEmpty)
            #expect(again.need.isEmpty)
            #expect(again.rounds == 1)
            await session.close()
        }
    }

    @Test func runSplittingAgainstOurRelayGetsEverythingPastItsItemLimit() async throws {
        let sets = NIP34EventSets.make(repo: "split-repo", onlyClient: 0, common: 0, onlyRelay: 25)
        try await RelayTestHarness.withRelay(limits: RelayLimits(maxNegentropyItems: 10)) { relay in
            sets.storeRelaySide(in: relay)
            let session = try await relay.connect()
            let link = SessionNegentropyLink(session: session)
            // A single session is refused, with the maximum.
            let whole = await NegentropyClientSession.run(link: link, subscriptionID: "whole", filter: sets.filter, storage: try negentropyStorage([]), classify: RefusalClassifier.classify)
            #expect(whole == .failure(.blocked(maxRecords: 10, reason: "blocked: too many query results")))
            // Splitting by time gets through.
            let split = await NegentropyClientSession.runSplitting(
                link: link, subscriptionID: "split", filter: sets.filter, now: Fixtures.now + 60, classify: RefusalClassifier.classify) { _ in try negentropyStorage([]) }
            guard case .success(let result) = split else {
                Issue.record("runSplitting failed: \(split)")
                await session.close()
                return
            }
            #expect(Set(result.need.map(\.hex)) == sets.onlyRelayIDs)
            #expect(result.need.count == 25)
            #expect(result.have.isEmpty)
            await session.close()
        }
    }

    // MARK: - Server refusals

    /// The initial message of an empty client set: "send me all your ids".
    static let emptyInitial = "6100000200"

    @Test func negOpenOverTheItemLimitIsBlockedWithTheMaximum() async throws {
        let sets = NIP34EventSets.make(repo: "limit-repo", onlyClient: 0, common: 0, onlyRelay: 11)
        try await RelayTestHarness.withRelay(limits: RelayLimits(maxNegentropyItems: 10)) { relay in
            sets.storeRelaySide(in: relay)
            let client = try await relay.connect()
            try await client.send(.negOpen(subscriptionID: "big", filter: Filter(kinds: [1621]), initialMessage: Self.emptyInitial))
            guard case .negErr("big", let reason, let max) = try await client.next() else {
                Issue.record("expected NEG-ERR")
                return
            }
            #expect(reason.hasPrefix("blocked:"))
            #expect(max == 10)
            // Exactly at the limit is served: the ten oldest issues.
            let tenth = sets.onlyRelay.map(\.createdAt).sorted()[9]
            try await client.send(.negOpen(subscriptionID: "ten", filter: Filter(kinds: [1621], until: tenth), initialMessage: Self.emptyInitial))
            guard case .negMsg("ten", let hex) = try await client.next(), let bytes = Hex.decode(hex) else {
                Issue.record("expected NEG-MSG")
                return
            }
            // 61, infinity bound, IdList of 10 ids.
            #expect(Array(bytes.prefix(5)) == [0x61, 0x00, 0x00, 0x02, 0x0a])
            #expect(bytes.count == 5 + 10 * 32)
            await client.close()
        }
    }

    @Test func negMsgForAnUnknownOrClosedSessionIsClosed() async throws {
        try await RelayTestHarness.withRelay { relay in
            let client = try await relay.connect()
            try await client.send(.negMsg(subscriptionID: "never", message: Self.emptyInitial))
            guard case .negErr("never", let reason, nil) = try await client.next() else {
                Issue.record("expected NEG-ERR")
                return
            }
            #expect(reason.hasPrefix("closed:"))

            try await client.send(.negOpen(subscriptionID: "s", filter: Filter(), initialMessage: Self.emptyInitial))
            #expect(try await client.next() == .negMsg(subscriptionID: "s", message: "6100000200"))
            try await client.send(.negClose(subscriptionID: "s"))
            try await client.send(.negMsg(subscriptionID: "s", message: Self.emptyInitial))
            guard case .negErr("s", let after, nil) = try await client.next() else {
                Issue.record("expected NEG-ERR after NEG-CLOSE")
                return
            }
            #expect(after.hasPrefix("closed:"))
            await client.close()
        }
    }

    @Test func malformedHexAndPayloadsAreInvalid() async throws {
        try await RelayTestHarness.withRelay { relay in
            let client = try await relay.connect()
            for (id, bad) in [("h1", "zz"), ("h2", "610"), ("h3", "61ff"), ("h4", "")] {
                try await client.send(.negOpen(subscriptionID: id, filter: Filter(), initialMessage: bad))
                guard case .negErr(id, let reason, nil) = try await client.next() else {
                    Issue.record("expected NEG-ERR for NEG-OPEN \(bad)")
                    continue
                }
                #expect(reason.hasPrefix("invalid:"), "\(bad): \(reason)")
            }
            // A NEG-OPEN the relay cannot decode (bad filter) is refused for its id.
            try await client.sendRaw(#"["NEG-OPEN","h5",{"kinds":"all"},"6100000200"]"#)
            guard case .negErr("h5", let decodeReason, nil) = try await client.next() else {
                Issue.record("expected NEG-ERR for an undecodable NEG-OPEN")
                return
            }
            #expect(decodeReason.hasPrefix("invalid:"))

            // A bad NEG-MSG on an open session is invalid and ends that session.
            try await client.send(.negOpen(subscriptionID: "open", filter: Filter(), initialMessage: Self.emptyInitial))
            #expect(try await client.next() == .negMsg(subscriptionID: "open", message: "6100000200"))
            try await client.send(.negMsg(subscriptionID: "open", message: "xyz!"))
            guard case .negErr("open", let msgReason, nil) = try await client.next() else {
                Issue.record("expected NEG-ERR for a non-hex NEG-MSG")
                return
            }
            #expect(msgReason.hasPrefix("invalid:"))
            try await client.send(.negMsg(subscriptionID: "open", message: Self.emptyInitial))
            guard case .negErr("open", let gone, nil) = try await client.next() else {
                Issue.record("expected NEG-ERR for the dropped session")
                return
            }
            #expect(gone.hasPrefix("closed:"))
            await client.close()
        }
    }

    @Test func aNinthConcurrentSessionIsBlocked() async throws {
        try await RelayTestHarness.withRelay { relay in
            #expect(relay.relay.limits.maxNegentropySessions == 8)
            let client = try await relay.connect()
            for i in 0..<8 {
                try await client.send(.negOpen(subscriptionID: "s\(i)", filter: Filter(), initialMessage: Self.emptyInitial))
                #expect(try await client.next() == .negMsg(subscriptionID: "s\(i)", message: "6100000200"))
            }
            try await client.send(.negOpen(subscriptionID: "s8", filter: Filter(), initialMessage: Self.emptyInitial))
            guard case .negErr("s8", let reason, _) = try await client.next() else {
                Issue.record("expected NEG-ERR for the ninth session")
                return
            }
            #expect(reason.hasPrefix("blocked:"))
            // Re-opening an open id replaces it rather than adding a ninth.
            try await client.send(.negOpen(subscriptionID: "s3", filter: Filter(), initialMessage: Self.emptyInitial))
            #expect(try await client.next() == .negMsg(subscriptionID: "s3", message: "6100000200"))
            // Closing one frees a slot.
            try await client.send(.negClose(subscriptionID: "s0"))
            try await client.send(.negOpen(subscriptionID: "s8", filter: Filter(), initialMessage: Self.emptyInitial))
            #expect(try await client.next() == .negMsg(subscriptionID: "s8", message: "6100000200"))
            // The limit is per connection.
            let other = try await relay.connect()
            try await other.send(.negOpen(subscriptionID: "s9", filter: Filter(), initialMessage: Self.emptyInitial))
            #expect(try await other.next() == .negMsg(subscriptionID: "s9", message: "6100000200"))
            await other.close()
            await client.close()
        }
    }

    @Test func unknownProtocolVersionGetsOurVersionThenTheSessionWorks() async throws {
        try await RelayTestHarness.withRelay { relay in
            let repo = Fixtures.announcement("version-repo")
            let issue = Fixtures.issue(for: repo, createdAt: repo.createdAt + 1)
            #expect(relay.relay.ingestor.ingest(repo) == .saved)
            #expect(relay.relay.ingestor.ingest(issue) == .saved)
            let client = try await relay.connect()
            try await client.send(.negOpen(subscriptionID: "v", filter: Filter(kinds: [1621]), initialMessage: "62aabbccddeeff"))
            #expect(try await client.next() == .negMsg(subscriptionID: "v", message: "61"))
            // The downgrade retry on the same session (protoversion test of the reference).
            try await client.send(.negMsg(subscriptionID: "v", message: Self.emptyInitial))
            #expect(try await client.next() == .negMsg(subscriptionID: "v", message: "6100000201" + issue.id))
            await client.close()
        }
    }

    @Test func reqTrafficFlowsBetweenNegentropyRounds() async throws {
        let sets = NIP34EventSets.standard
        try await RelayTestHarness.withRelay { relay in
            sets.storeRelaySide(in: relay)
            let client = try await relay.connect()
            var machine = try NegentropyClientStateMachine(subscriptionID: "neg", filter: sets.filter,
                                                           storage: try negentropyStorage(sets.clientEvents), frameSizeLimit: 4096, classify: RefusalClassifier.classify)
            guard case .send(let open) = machine.start() else {
                Issue.record("no NEG-OPEN")
                return
            }
            try await client.send(open)
            var action = machine.receive(try await client.next())
            guard case .send(let pending) = action else {
                Issue.record("expected a second round, got \(action)")
                return
            }

            // The session is open mid-reconciliation; a REQ and a COUNT on the same socket are
            // answered before we continue it.
            let wanted = Array(sets.onlyRelay.prefix(3))
            try await client.send(.req(subscriptionID: "between", filters: [Filter(ids: wanted.map(\.id))]))
            let replies = try await client.collectUntilEOSE("between")
            #expect(Set(replies.compactMap { if case .event("between", let e) = $0 { e.id } else { nil } }) == Set(wanted.map(\.id)))
            #expect(replies.count == 4)
            try await client.send(.count(subscriptionID: "c", filters: [sets.filter]))
            #expect(try await client.next() == .count(subscriptionID: "c", count: sets.relayEvents.count))

            try await client.send(pending)
            var rounds = 1
            while true {
                action = machine.receive(try await client.next())
                guard case .send(let next) = action else { break }
                rounds += 1
                // Keep asking between every round.
                try await client.send(.count(subscriptionID: "c\(rounds)", filters: [Filter(kinds: [30617])]))
                #expect(try await client.next() == .count(subscriptionID: "c\(rounds)", count: 1))
                try await client.send(next)
            }
            guard case .finish(.negClose("neg")?, .success(let diff)) = action else {
                Issue.record("session did not succeed: \(action)")
                return
            }
            #expect(Set(diff.have.map(\.hex)) == sets.onlyClientIDs)
            #expect(Set(diff.need.map(\.hex)) == sets.onlyRelayIDs)
            await client.close()
        }
    }
}
