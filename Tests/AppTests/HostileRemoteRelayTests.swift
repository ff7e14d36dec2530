import App
import Foundation
import Health
import Nostr
import Relay
import Store
import Testing
import Transport

/// Issue 12, fault suite: the sync engine against remote relays that misbehave on purpose,
/// in virtual time. Each case ends with the relay in a defined state (Connected,
/// ConnectedHistoricSyncFailures, or Disconnected with the failure recorded in health)
/// within a bounded number of virtual seconds.
@Suite(.timeLimit(.minutes(2)))
struct HostileRemoteRelayTests {
    static let peer = RelayURL("ws://hostile.test")!

    /// Records subscription ids a test must keep answering (thread-safe).
    final class OpenSessions: @unchecked Sendable {
        private let lock = NSLock()
        private var open: [String] = []
        private var opened = 0
        private var answered = 0
        func add(_ id: String) { lock.withLock { if !open.contains(id) { open.append(id); opened += 1 } } }
        func remove(_ id: String) { lock.withLock { open.removeAll { $0 == id } } }
        func takeForAnswer() -> [String] { lock.withLock { answered += open.count; return open } }
        var counts: (open: Int, opened: Int, answered: Int) { lock.withLock { (open.count, opened, answered) } }
    }

    /// Whether `url` is in a defined end state: Connected, ConnectedHistoricSyncFailures, or
    /// Disconnected with the failure recorded in health.
    static func definedEndState(_ s: SyncScenario, _ url: RelayURL) async -> Bool {
        switch await s.status(url) {
        case .connected?, .connectedHistoricSyncFailures?: return true
        case .disconnected?:
            let tracker = await s.coordinator.healthTracker
            return await tracker.consecutiveFailures(of: url.description) >= 1
        default: return false
        }
    }

    /// A NEG-MSG no client can reconcile to an end: one range up to infinity in Fingerprint
    /// mode with a fingerprint that matches nothing, so the client always answers with
    /// something other than a Skip.
    static let neverConvergingNegMsg = "61" + "00" + "00" + "01" + String(repeating: "ff", count: 16)

    // MARK: Off-filter events on a historic REQ

    @Test("a historic REQ answered with events matching no requested filter: only what the policy accepts is stored, the batch completes")
    func offFilterEventsOnHistoricREQ() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer], disableNegentropy: true)
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issue = s.issue(for: repo)
        let legit = [repo, s.state(for: repo), issue, s.comment(on: issue)]
        s.publish(legit, on: Self.peer)

        let stranger = NostrKeypair(secretKeyHex: String(repeating: "0c", count: 32))!
        let otherRepo = "30617:\(stranger.publicKey):elsewhere"
        let note = stranger.sign(kind: 1, tags: [], content: "unrelated note", createdAt: s.now - 100)
        let unrelatedIssue = stranger.sign(kind: 1621, tags: [["a", otherRepo], ["subject", "x"]], content: "off-filter issue",
                                           createdAt: s.now - 100)
        let foreignAnnouncement = stranger.sign(kind: 30617, tags: [["d", "elsewhere"], ["relays", "wss://far.away"]], content: "",
                                                createdAt: s.now - 100)
        let genuine = stranger.sign(kind: 1, tags: [], content: "genuine", createdAt: s.now - 100)
        // Same id and signature, other content: the id does not match.
        let forged = NostrEvent(id: genuine.id, pubkey: genuine.pubkey, createdAt: genuine.createdAt, kind: 1621,
                                tags: [["a", "30617:\(repo.pubkey):\(repo.dTag)"]], content: "forged", sig: genuine.sig)
        // A valid issue for the tracked repo, re-signed by someone else under the owner's key: bad signature.
        let badSignature = NostrEvent(id: issue.id, pubkey: issue.pubkey, createdAt: issue.createdAt, kind: issue.kind,
                                      tags: issue.tags, content: issue.content, sig: String(repeating: "0", count: 128))
        let hostile = [note, unrelatedIssue, foreignAnnouncement, forged, badSignature]

        // What the acceptance policy allows of the hostile events, given the legit ones.
        let reference = try SyncScenario()
        for e in legit { _ = reference.ingestor.ingest(e) }
        let allowed = Set(hostile.filter { reference.ingestor.ingest($0) == .saved }.map(\.id))

        let hostileAnswers = OpenSessions()
        // Hang guard: past this many historic REQs the relay stops mixing in hostile events
        // (a sync of this repo needs a few dozen at most).
        let bound = 300
        s.transport.intercept { _, message in
            guard case .req(let id, let filters) = message, filters.allSatisfy({ $0.limit != 0 }) else { return .forward }
            hostileAnswers.add(id)
            // The genuine matches, with every hostile event mixed in, then EOSE.
            let matches = legit.filter { e in filters.contains { $0.matches(e) } }
            let offFilter = hostileAnswers.counts.opened > bound ? [] : hostile.filter { e in !filters.contains { $0.matches(e) } }
            return .reply(offFilter.map { .event(subscriptionID: id, event: $0) }
                + matches.map { .event(subscriptionID: id, event: $0) } + [.eose(subscriptionID: id)])
        }
        await s.start()
        let done = await s.run(upTo: 120) { await s.status(Self.peer) == .connected }
        let finalStatus = await s.status(Self.peer)
        #expect(done, "status \(String(describing: finalStatus)) after 120 virtual s")
        #expect(hostileAnswers.counts.opened > 0, "no historic REQ was answered by the hostile relay")
        let answered = hostileAnswers.counts.opened
        #expect(answered <= bound, "the historic sync sent \(answered) REQs: it only ended because the relay stopped sending off-filter events")
        for e in legit { #expect(s.has(e), "legit kind \(e.kind) missing") }
        // (The forged and badly signed events reuse other ids: checked by content and signature below.)
        for e in [note, unrelatedIssue, foreignAnnouncement] {
            #expect(s.has(e) == allowed.contains(e.id), "kind \(e.kind) \(e.content): stored \(s.has(e)), policy allows \(allowed.contains(e.id))")
        }
        // The forged and the badly signed events never are (their ids belong to other events).
        let forgedStored = try s.store.query([Filter(ids: [forged.id])], maxLimit: 10).contains { $0.content == "forged" }
        #expect(!forgedStored)
        let stored = try #require(try s.store.query([Filter(ids: [issue.id])], maxLimit: 10).first)
        #expect(stored.sig == issue.sig)
    }

    // MARK: A NIP-77 session that never converges

    @Test("a NIP-77 session answered with NEG-MSG forever ends at its round bound; the filter is synced by REQ/EOSE and the relay ends Connected")
    func negentropySessionThatNeverConverges() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let synced = [repo, s.state(for: repo), s.issue(for: repo)]
        s.publish(synced, on: Self.peer)
        let sessions = OpenSessions()
        // The relay answers every NEG-OPEN and NEG-MSG at once with a NEG-MSG that never
        // converges. Hang guard: after `bound` answers it falls silent (then only the
        // request timeout can end the session).
        let bound = 2_000
        let replies = OpenSessions()
        s.transport.intercept { _, message in
            switch message {
            case .negOpen(let id, _, _), .negMsg(let id, _):
                sessions.add(id)
                replies.add("\(replies.counts.opened)")
                if replies.counts.opened > bound { return .drop }
                return .reply([.negMsg(subscriptionID: id, message: Self.neverConvergingNegMsg)])
            case .negClose(let id):
                sessions.remove(id)
                return .drop
            default:
                return .forward
            }
        }
        await s.start()
        // Every session ends at its round bound (the relay keeps answering), so the engine
        // goes idle between steps and virtual time can be driven as in every scenario.
        let connected = await s.run(upTo: 600) { await s.status(Self.peer) == .connected }
        let counts = sessions.counts
        let answers = replies.counts.opened
        let status = await s.status(Self.peer)
        #expect(counts.opened > 0, "no NIP-77 session was opened")
        #expect(connected, "status \(String(describing: status)), \(counts.open) sessions still open, \(answers) NEG-MSG answers")
        #expect(counts.open == 0, "\(counts.open) sessions still open")
        #expect(answers <= bound, "the session only ended because the relay fell silent after \(bound) never-converging answers")
        // What the sessions could not reconcile came by REQ/EOSE; NIP-77 stays in use.
        for e in synced { #expect(s.has(e), "kind \(e.kind) missing") }
    }

    // MARK: NEG-MSG flood for unknown sessions

    @Test("a flood of NEG-MSG and NEG-ERR for sessions never opened is ignored: no crash, the relay stays Connected and live events still arrive")
    func negMsgFloodForUnknownSessions() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issue = s.issue(for: repo)
        s.publish([repo, s.state(for: repo), issue], on: Self.peer)
        await s.start()
        // Also during the historic sync: the first answers go out while sessions are open.
        await s.step()
        let session = try #require(s.transport.session(Self.peer))
        for i in 0..<2_000 {
            await session.inject(.negMsg(subscriptionID: "unknown-\(i)", message: Self.neverConvergingNegMsg))
        }
        #expect(await s.run(upTo: 120) { await s.status(Self.peer) == .connected })
        for i in 0..<5_000 {
            await session.inject(.negMsg(subscriptionID: "never-opened-\(i % 50)", message: i % 2 == 0 ? Self.neverConvergingNegMsg : "zz"))
            if i % 100 == 0 { await session.inject(.negErr(subscriptionID: "never-opened-\(i)", reason: "closed: flood", maxRecords: nil)) }
        }
        await s.advance(1)
        #expect(await s.status(Self.peer) == .connected)
        let tracker = await s.coordinator.healthTracker
        #expect(await tracker.consecutiveFailures(of: Self.peer.description) == 0)
        // The connection still works: a new event reaches the node live.
        let late = s.comment(on: issue, 7, at: s.now)
        s.publish([late], on: Self.peer)
        #expect(await s.settle { s.has(late) }, "a live event did not arrive after the flood")
    }

    // MARK: Silence after EOSE on a live subscription

    @Test("a relay silent after EOSE on its live subscriptions: the relay reaches Connected and stays there, no failure recorded")
    func silenceAfterEOSEOnLiveSubscription() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issue = s.issue(for: repo)
        s.publish([repo, s.state(for: repo), issue], on: Self.peer)
        let live = OpenSessions()
        s.transport.intercept { _, message in
            // Live subscriptions (limit 0) get EOSE and then nothing, ever.
            if case .req(let id, let filters) = message, filters.allSatisfy({ $0.limit == 0 }) {
                live.add(id)
                return .reply([.eose(subscriptionID: id)])
            }
            return .forward
        }
        await s.start()
        #expect(await s.run(upTo: 120) { await s.status(Self.peer) == .connected })
        #expect(s.has(issue))
        #expect(live.counts.opened > 0, "no live subscription was opened")
        // Ten virtual minutes of silence (past the 60 s request timeout many times over).
        for _ in 0..<600 { await s.advance(1) }
        #expect(await s.status(Self.peer) == .connected)
        let tracker = await s.coordinator.healthTracker
        #expect(await tracker.consecutiveFailures(of: Self.peer.description) == 0)
        #expect(s.disconnections(Self.peer) == 1, "the relay was disconnected during the silence")
    }
}
