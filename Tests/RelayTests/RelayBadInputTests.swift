import Foundation
import Nostr
import Relay
import Testing
import Transport

/// Every kind of bad input gets a protocol-correct answer, the connection keeps working, and
/// nothing reaches the store.
@Suite struct RelayBadInputTests {
    /// Sends `raw`, returns the answer, then proves the connection still works and the store is unchanged.
    private func answer(to raw: String, limits: RelayLimits = RelayLimits()) async throws -> RelayMessage {
        try await RelayTestHarness.withRelay(limits: limits) { relay in
            let client = try await relay.connect()
            try await client.sendRaw(raw)
            let reply = try await client.next()
            try await client.send(.count(subscriptionID: "after", filters: [Filter()]))
            #expect(try await client.next() == .count(subscriptionID: "after", count: 0))
            await client.close()
            return reply
        }
    }

    private func expectNotice(_ reply: RelayMessage, prefix: String) {
        guard case .notice(let text) = reply else { Issue.record("expected NOTICE, got \(reply)"); return }
        #expect(text.hasPrefix(prefix))
    }

    private func expectRefusedOK(_ reply: RelayMessage, id: String, prefix: String) {
        guard case .ok(let got, false, let text) = reply else { Issue.record("expected OK false, got \(reply)"); return }
        #expect(got == id)
        #expect(text.hasPrefix(prefix), "\(text)")
    }

    @Test func malformedJSONGetsNotice() async throws {
        expectNotice(try await answer(to: "[\"EVENT\", {"), prefix: "invalid:")
    }

    @Test func nonArrayMessageGetsNotice() async throws {
        expectNotice(try await answer(to: "{\"kind\":1}"), prefix: "invalid:")
    }

    @Test func unknownVerbGetsNotice() async throws {
        expectNotice(try await answer(to: "[\"SUBSCRIBE\",\"x\"]"), prefix: "invalid:")
    }

    @Test func wrongElementTypeInEventGetsOKFalseWithItsID() async throws {
        let repo = Fixtures.announcement()
        var json = repo.jsonText
        json = json.replacingOccurrences(of: "\"kind\":30617", with: "\"kind\":\"30617\"")
        expectRefusedOK(try await answer(to: "[\"EVENT\",\(json)]"), id: repo.id, prefix: "invalid:")
    }

    @Test func badHexGetsNotice() async throws {
        let repo = Fixtures.announcement()
        let json = repo.jsonText.replacingOccurrences(of: repo.id, with: "zz" + repo.id.dropFirst(2))
        expectNotice(try await answer(to: "[\"EVENT\",\(json)]"), prefix: "invalid:")
    }

    @Test func wrongIDGetsOKFalse() async throws {
        let repo = Fixtures.announcement()
        let forged = NostrEvent(id: repo.id, pubkey: repo.pubkey, createdAt: repo.createdAt + 1, kind: repo.kind, tags: repo.tags, content: repo.content, sig: repo.sig)
        expectRefusedOK(try await answer(to: ClientMessage.event(forged).jsonText), id: repo.id, prefix: "invalid: event id")
    }

    @Test func badSignatureGetsOKFalse() async throws {
        let repo = Fixtures.announcement()
        let flipped = String(repo.sig.dropLast()) + (repo.sig.hasSuffix("0") ? "1" : "0")
        let forged = NostrEvent(id: repo.id, pubkey: repo.pubkey, createdAt: repo.createdAt, kind: repo.kind, tags: repo.tags, content: repo.content, sig: flipped)
        expectRefusedOK(try await answer(to: ClientMessage.event(forged).jsonText), id: repo.id, prefix: "invalid: signature")
    }

    @Test func eventUnrelatedToAnyRepositoryIsBlocked() async throws {
        let note = Fixtures.other.sign(kind: 1, content: "hello", createdAt: Fixtures.now)
        expectRefusedOK(try await answer(to: ClientMessage.event(note).jsonText), id: note.id, prefix: "blocked:")
    }

    @Test func announcementNotListingServiceIsBlocked() async throws {
        let repo = Fixtures.announcement(relays: ["wss://elsewhere.example"])
        expectRefusedOK(try await answer(to: ClientMessage.event(repo).jsonText), id: repo.id, prefix: "blocked:")
    }

    @Test func oversizedMessageGetsNoticeAndConnectionSurvives() async throws {
        let limits = RelayLimits(maxMessageLength: 1024)
        let big = "[\"REQ\",\"big\",{\"#t\":[\"" + String(repeating: "x", count: 2048) + "\"]}]"
        expectNotice(try await answer(to: big, limits: limits), prefix: "invalid:")
    }

    @Test func tooManyFiltersGetsClosed() async throws {
        let limits = RelayLimits(maxFilters: 2)
        let reply = try await answer(to: ClientMessage.req(subscriptionID: "f", filters: [Filter(), Filter(), Filter()]).jsonText, limits: limits)
        guard case .closed("f", let text) = reply else { Issue.record("expected CLOSED, got \(reply)"); return }
        #expect(text.hasPrefix("invalid:"))
    }

    @Test func badFilterGetsClosed() async throws {
        let reply = try await answer(to: "[\"REQ\",\"bad\",{\"kinds\":\"1\"}]")
        guard case .closed("bad", let text) = reply else { Issue.record("expected CLOSED, got \(reply)"); return }
        #expect(text.hasPrefix("invalid:"))
    }

    @Test func overlongSubscriptionIDGetsNotice() async throws {
        let id = String(repeating: "s", count: 65)
        expectNotice(try await answer(to: "[\"REQ\",\"\(id)\",{}]"), prefix: "invalid:")
    }

    @Test func tooManySubscriptionsGetsClosedBlocked() async throws {
        try await RelayTestHarness.withRelay(limits: RelayLimits(maxSubscriptions: 2)) { relay in
            let client = try await relay.connect()
            for id in ["a", "b"] {
                try await client.send(.req(subscriptionID: id, filters: [Filter(kinds: [1])]))
                #expect(try await client.next() == .eose(subscriptionID: id))
            }
            try await client.send(.req(subscriptionID: "c", filters: [Filter(kinds: [1])]))
            guard case .closed("c", let text) = try await client.next() else { Issue.record("expected CLOSED"); return }
            #expect(text.hasPrefix("blocked:"))
            // Replacing an open subscription is not a new one.
            try await client.send(.req(subscriptionID: "a", filters: [Filter(kinds: [2])]))
            #expect(try await client.next() == .eose(subscriptionID: "a"))
            await client.close()
        }
    }

    @Test func binaryMessagesAndAuthAreRefusedPolitely() async throws {
        let auth = Fixtures.other.sign(kind: 22242, tags: [["challenge", "x"]], createdAt: Fixtures.now)
        expectRefusedOK(try await answer(to: ClientMessage.auth(auth).jsonText), id: auth.id, prefix: "restricted:")
    }
}
