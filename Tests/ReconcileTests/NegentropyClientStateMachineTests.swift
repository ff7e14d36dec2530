import Health
import Foundation
import Nostr
import Reconcile
import Testing

/// The NIP-77 client state machine, fed by hand and by our own responder engine.
@Suite("Negentropy client state machine")
struct NegentropyClientStateMachineTests {
    static let subID = "neg-1"
    static let filter = Filter(kinds: [1621], tags: ["a": ["30617:abc:repo"]], since: 10, limit: 25)

    /// A machine over `items` that has sent its NEG-OPEN.
    static func opened(_ items: [NegentropyItem] = [], frameSizeLimit: Int = 0) throws -> NegentropyClientStateMachine {
        var machine = try NegentropyClientStateMachine(subscriptionID: subID, filter: filter, storage: try sealedStorage(items),
                                                       frameSizeLimit: frameSizeLimit, classify: RefusalClassifier.classify)
        guard case .send(.negOpen) = machine.start() else { throw ClientTestError.unexpected("start did not send NEG-OPEN") }
        return machine
    }

    /// Sets whose first responder reply asks for another round (so "after the first NEG-MSG"
    /// states are reachable): 16 buckets each way, differences in several of them.
    static let multiRound = ClientItemSets.make(seed: 7, onlyClient: 20, common: 1500, onlyRelay: 25)

    /// A machine past its first NEG-MSG (it answered with another NEG-MSG, `pending`), and
    /// the responder holding the other side of the session.
    static func pastFirstReply() throws -> (NegentropyClientStateMachine, ResponderRelay, pending: ClientMessage) {
        var machine = try NegentropyClientStateMachine(subscriptionID: subID, filter: filter,
                                                       storage: try sealedStorage(multiRound.clientItems), classify: RefusalClassifier.classify)
        guard case .send(let open) = machine.start() else { throw ClientTestError.unexpected("no NEG-OPEN") }
        let responder = ResponderRelay(items: multiRound.relayItems)
        guard let first = responder.answer(open), case .send(let pending) = machine.receive(first), case .negMsg = pending else {
            throw ClientTestError.unexpected("first reply did not lead to another round")
        }
        return (machine, responder, pending)
    }

    /// Continues a machine that just sent `last` until it finishes.
    static func finish(_ machine: inout NegentropyClientStateMachine, responder: ResponderRelay, last: ClientMessage) -> NegentropyClientStateMachine.Action {
        var action = NegentropyClientStateMachine.Action.send(last)
        while case .send(let message) = action {
            guard let reply = responder.answer(message) else { return action }
            action = machine.receive(reply)
        }
        return action
    }

    // MARK: - Opening

    @Test func startSendsNegOpenWithoutLimitAndTheInitialMessageHex() throws {
        let sets = ClientItemSets.make(seed: 1, onlyClient: 5, common: 60, onlyRelay: 3)
        let storage = try sealedStorage(sets.clientItems)
        var machine = try NegentropyClientStateMachine(subscriptionID: Self.subID, filter: Self.filter, storage: storage, frameSizeLimit: 0, classify: RefusalClassifier.classify)
        var reference = try Negentropy(storage: storage)
        let initial = try reference.initiate()
        var expectedFilter = Self.filter
        expectedFilter.limit = nil
        let action = machine.start()
        #expect(action == .send(.negOpen(subscriptionID: Self.subID, filter: expectedFilter, initialMessage: Hex.encode(initial))))
        guard case .send(let open) = action else { return }
        #expect(!open.jsonText.contains("limit"))
        #expect(open.jsonText.hasPrefix("[\"NEG-OPEN\",\"neg-1\",{\"kinds\":[1621],\"#a\":[\"30617:abc:repo\"],\"since\":10}"))
        #expect(initial.count > 1)
        // Starting again does nothing; the session is still open.
        #expect(machine.start() == .wait)
        #expect(!machine.isFinished)
    }

    @Test func emptyLocalSetOpensWithTheEmptyIdList() throws {
        var machine = try NegentropyClientStateMachine(subscriptionID: "e", filter: Filter(), storage: try sealedStorage([]), classify: RefusalClassifier.classify)
        // Version 0x61, infinity bound (0), empty prefix (0), IdList (2) of 0 ids.
        #expect(machine.start() == .send(.negOpen(subscriptionID: "e", filter: Filter(), initialMessage: "6100000200")))
    }

    @Test func frameSizeLimitBelow4096IsRefusedAtCreation() throws {
        #expect(throws: NegentropyError.frameSizeLimitTooSmall) {
            _ = try NegentropyClientStateMachine(subscriptionID: "x", filter: Filter(), storage: try sealedStorage([]), frameSizeLimit: 4095, classify: RefusalClassifier.classify)
        }
    }

    // MARK: - Full exchanges against our responder

    @Test(arguments: [0, 4096])
    func fullExchangeFindsExactlyHaveAndNeed(frameSizeLimit: Int) throws {
        let sets = ClientItemSets.make(seed: 42, onlyClient: 150, common: 2500, onlyRelay: 170)
        var machine = try NegentropyClientStateMachine(subscriptionID: Self.subID, filter: Self.filter,
                                                       storage: try sealedStorage(sets.clientItems), frameSizeLimit: frameSizeLimit, classify: RefusalClassifier.classify)
        let responder = ResponderRelay(items: sets.relayItems, frameSizeLimit: frameSizeLimit)
        let (final, sent) = exchange(&machine, with: responder)
        #expect(final.closeMessage == .some(.negClose(subscriptionID: Self.subID)))
        guard case .success(let result)? = final.outcome else {
            Issue.record("exchange did not succeed: \(final)")
            return
        }
        #expect(Set(result.have) == sets.onlyClientIDs)
        #expect(Set(result.need) == sets.onlyRelayIDs)
        #expect(result.have.count == sets.onlyClient.count, "have holds duplicates")
        #expect(result.need.count == sets.onlyRelay.count, "need holds duplicates")
        // One reply per message sent; the last reply ended the session.
        #expect(result.rounds == sent.count)
        #expect(result.bytesSent == sent.compactMap(negentropyPayload).map(\.count).reduce(0, +))
        #expect(machine.isFinished)
        if frameSizeLimit > 0 {
            #expect(sent.count > 2, "the frame limit should force several rounds")
            for message in sent {
                #expect((negentropyPayload(message)?.count ?? 0) <= frameSizeLimit)
            }
        }
    }

    @Test func duplicatesAcrossRoundsAreReportedOnce() throws {
        // Vector 25: frame limits 4096/4096 over ~1800 items; the reference reports hundreds
        // of have/need ids more than once across rounds.
        let file = try Fixtures.load(ExchangeFile.self, "25-frame-limit-4096-4096.json")
        let clientItems = file.clientItems.map { NegentropyItem(timestamp: $0.timestamp, id: $0.id) }
        let serverItems = file.serverItems.map { NegentropyItem(timestamp: $0.timestamp, id: $0.id) }

        // The raw engine does report duplicates here (otherwise this test proves nothing).
        var rawHave: [NegentropyID] = []
        var rawNeed: [NegentropyID] = []
        var initiator = try Negentropy(storage: try sealedStorage(clientItems), frameSizeLimit: 4096)
        var responderEngine = try Negentropy(storage: try sealedStorage(serverItems), frameSizeLimit: 4096)
        var message: [UInt8]? = try initiator.initiate()
        while let m = message {
            message = try initiator.reconcile(try responderEngine.reconcile(m), have: &rawHave, need: &rawNeed)
        }
        #expect(rawHave.count > Set(rawHave).count)
        #expect(rawNeed.count > Set(rawNeed).count)

        var machine = try NegentropyClientStateMachine(subscriptionID: "dup", filter: Filter(), storage: try sealedStorage(clientItems),
                                                       frameSizeLimit: 4096, classify: RefusalClassifier.classify)
        let (final, _) = exchange(&machine, with: ResponderRelay(items: serverItems, frameSizeLimit: 4096))
        guard case .success(let result)? = final.outcome else {
            Issue.record("exchange did not succeed: \(final)")
            return
        }
        #expect(result.have.count == Set(result.have).count)
        #expect(result.need.count == Set(result.need).count)
        #expect(Set(result.have.map(\.hex)) == Set(file.clientHave))
        #expect(Set(result.need.map(\.hex)) == Set(file.clientNeed))
        #expect(result.have.count == 997)
        #expect(result.need.count == 855)
    }

    @Test func identicalSetsFinishAfterOneReplyWithAnEmptyDiff() throws {
        let sets = ClientItemSets.make(seed: 3, onlyClient: 0, common: 800, onlyRelay: 0)
        var machine = try NegentropyClientStateMachine(subscriptionID: Self.subID, filter: Filter(), storage: try sealedStorage(sets.clientItems), classify: RefusalClassifier.classify)
        let (final, sent) = exchange(&machine, with: ResponderRelay(items: sets.relayItems))
        #expect(sent.count == 1)
        #expect(final.outcome == .success(NegentropyClientResult(have: [], need: [], rounds: 1, bytesSent: negentropyPayload(sent[0])!.count,
                                                                   bytesReceived: 1)))
    }

    // MARK: - NEG-ERR

    struct NegErrCase: Sendable, CustomTestStringConvertible {
        let reason: String
        let max: Int?
        let expected: NegentropyClientFailure
        var testDescription: String { "\(reason) [\(max.map(String.init) ?? "-")]" }
    }

    static let negErrCases: [NegErrCase] = [
        NegErrCase(reason: "blocked: too many query results", max: 1_000_000,
                   expected: .blocked(maxRecords: 1_000_000, reason: "blocked: too many query results")),
        NegErrCase(reason: "blocked: too many query results", max: nil, expected: .blocked(maxRecords: nil, reason: "blocked: too many query results")),
        NegErrCase(reason: "closed: unknown subscription handle", max: nil, expected: .closed("closed: unknown subscription handle")),
        NegErrCase(reason: "closed: idle timeout", max: nil, expected: .closed("closed: idle timeout")),
        NegErrCase(reason: "error: could not list events", max: nil, expected: .relayError("error: could not list events")),
        NegErrCase(reason: "PROTOCOL-ERROR", max: nil, expected: .relayError("PROTOCOL-ERROR")),
        NegErrCase(reason: "invalid: message is not hex", max: nil, expected: .relayError("invalid: message is not hex")),
    ]

    @Test(arguments: negErrCases)
    func negErrBeforeTheFirstReplyEndsTheSessionWithoutNegClose(_ c: NegErrCase) throws {
        var machine = try Self.opened()
        let action = machine.receive(.negErr(subscriptionID: Self.subID, reason: c.reason, maxRecords: c.max))
        #expect(action == .finish(closeMessage: nil, outcome: .failure(c.expected)))
        #expect(machine.isFinished)
    }

    @Test func negErrMidSessionEndsTheSession() throws {
        var (machine, _, _) = try Self.pastFirstReply()
        let action = machine.receive(.negErr(subscriptionID: Self.subID, reason: "closed: idle timeout", maxRecords: nil))
        #expect(action == .finish(closeMessage: nil, outcome: .failure(.closed("closed: idle timeout"))))
    }

    // MARK: - NOTICE refusals

    /// NOTICE texts of relays that do not speak NIP-77, seen in the wild (field notes §4.2).
    static let refusalNotices: [String] = [
        "ERROR: bad msg: negentropy disabled",
        "could not parse command",
        "Invalid enum value NEG-OPEN",
        "error: bad message",
        "bad message type",
        "Command unrecognized",
        "Unknown message type: NEG-OPEN",
        "ERROR: unknown command",
        "Negentropy is off on this relay",
        "NEG-OPEN? never heard of it",
    ]

    @Test(arguments: refusalNotices)
    func refusalNoticeBeforeTheFirstReplyMeansUnsupported(_ text: String) throws {
        #expect(RefusalClassifier.classify(text) == .negentropyUnsupported)
        var machine = try Self.opened()
        let action = machine.receive(.notice(text))
        #expect(action == .finish(closeMessage: nil, outcome: .failure(.unsupported(text))))
        #expect(machine.isFinished)
    }

    /// A relay that speaks NIP-77 but refuses this NEG-OPEN does not lose its NIP-77 status:
    /// strfry's NOTICE for an oversized filter is "too large" (split and retry), its NOTICE for
    /// other negentropy errors is a relay error (that filter goes through REQ/EOSE).
    @Test(arguments: [
        ("ERROR: negentropy error: error parsing #q: total filter items too large", NegentropyClientFailure.tooLarge("ERROR: negentropy error: error parsing #q: total filter items too large")),
        ("ERROR: negentropy error: negentropy query missing elements", .relayError("ERROR: negentropy error: negentropy query missing elements")),
        ("ERROR: negentropy error: invalid hex", .relayError("ERROR: negentropy error: invalid hex")),
        ("rate-limited: slow down", .rateLimited("rate-limited: slow down")),
        ("ERROR: too many concurrent NEG requests", .rateLimited("ERROR: too many concurrent NEG requests")),
    ])
    func noticeOfARelayThatSpeaksNIP77(_ text: String, _ expected: NegentropyClientFailure) throws {
        var machine = try Self.opened()
        #expect(machine.receive(.notice(text)) == .finish(closeMessage: nil, outcome: .failure(expected)))
    }

    @Test func theSameNoticeAfterTheFirstReplyIsIgnored() throws {
        var (machine, responder, pending) = try Self.pastFirstReply()
        #expect(machine.receive(.notice("ERROR: bad msg: negentropy disabled")) == .wait)
        #expect(machine.receive(.notice("error: bad message")) == .wait)
        #expect(!machine.isFinished)
        // The session carries on to the right result.
        let final = Self.finish(&machine, responder: responder, last: pending)
        guard case .success(let result)? = final.outcome else {
            Issue.record("session did not succeed after the NOTICE: \(final)")
            return
        }
        #expect(Set(result.have) == Self.multiRound.onlyClientIDs)
        #expect(Set(result.need) == Self.multiRound.onlyRelayIDs)
    }

    @Test(arguments: ["welcome to the relay", "auth-required: please authenticate", "", "connected to strfry"])
    func nonRefusalNoticeBeforeTheFirstReplyIsIgnored(_ text: String) throws {
        #expect(RefusalClassifier.classify(text) == .informational)
        let sets = ClientItemSets.make(seed: 11, onlyClient: 4, common: 300, onlyRelay: 6)
        var machine = try NegentropyClientStateMachine(subscriptionID: Self.subID, filter: Filter(), storage: try sealedStorage(sets.clientItems), classify: RefusalClassifier.classify)
        guard case .send(let open) = machine.start() else { Issue.record("no NEG-OPEN"); return }
        #expect(machine.receive(.notice(text)) == .wait)
        #expect(!machine.isFinished)
        let final = Self.finish(&machine, responder: ResponderRelay(items: sets.relayItems), last: open)
        guard case .success(let result)? = final.outcome else {
            Issue.record("session did not succeed: \(final)")
            return
        }
        #expect(Set(result.have) == sets.onlyClientIDs)
        #expect(Set(result.need) == sets.onlyRelayIDs)
    }

    // MARK: - CLOSED, timeout, disconnect, garbage

    @Test func closedForTheSubscriptionMeansUnsupported() throws {
        var machine = try Self.opened()
        #expect(machine.receive(.closed(subscriptionID: "other", message: "error: nope")) == .wait)
        let action = machine.receive(.closed(subscriptionID: Self.subID, message: "invalid: unknown message type"))
        guard case .finish(nil, .failure(.unsupported(let why))) = action else {
            Issue.record("expected unsupported, got \(action)")
            return
        }
        #expect(why.contains("invalid: unknown message type"))
    }

    @Test func idleTimeoutFailsAndClosesTheSession() throws {
        var machine = try Self.opened()
        #expect(machine.idleTimeout() == .finish(closeMessage: .negClose(subscriptionID: Self.subID), outcome: .failure(.timeout)))
        #expect(machine.isFinished)
        // Mid-session it is a stall, not silence to the NEG-OPEN (which means no NIP-77).
        var (busy, _, _) = try Self.pastFirstReply()
        #expect(busy.idleTimeout() == .finish(closeMessage: .negClose(subscriptionID: Self.subID), outcome: .failure(.stalled)))
    }

    @Test func idleTimeoutBeforeStartDoesNothing() throws {
        var machine = try NegentropyClientStateMachine(subscriptionID: "x", filter: Filter(), storage: try sealedStorage([]), classify: RefusalClassifier.classify)
        #expect(machine.idleTimeout() == .wait)
        #expect(machine.disconnected() == .wait)
        #expect(machine.receive(.negMsg(subscriptionID: "x", message: "61")) == .wait)
    }

    @Test func disconnectFailsWithoutNegClose() throws {
        var machine = try Self.opened()
        #expect(machine.disconnected() == .finish(closeMessage: nil, outcome: .failure(.disconnected)))
        var (busy, _, _) = try Self.pastFirstReply()
        #expect(busy.disconnected() == .finish(closeMessage: nil, outcome: .failure(.disconnected)))
    }

    @Test(arguments: ["zz", "6", "61g0", "not hex at all"])
    func nonHexNegMsgIsAProtocolError(_ garbage: String) throws {
        var machine = try Self.opened()
        let action = machine.receive(.negMsg(subscriptionID: Self.subID, message: garbage))
        guard case .finish(.negClose(Self.subID)?, .failure(.protocolError)) = action else {
            Issue.record("expected protocolError with NEG-CLOSE, got \(action)")
            return
        }
        #expect(machine.isFinished)
    }

    @Test(arguments: [
        ("ff", "invalid negentropy protocol version byte"),
        ("62", "unsupported negentropy protocol version requested2"),
        ("6100", "premature end of varint"),
        ("610000", "premature end of varint"),
        ("61000005", "unexpected mode"),
        ("", "parse ends prematurely"),
    ])
    func malformedNegentropyPayloadIsAProtocolError(_ payload: String, _ message: String) throws {
        var machine = try Self.opened()
        let action = machine.receive(.negMsg(subscriptionID: Self.subID, message: payload))
        #expect(action == .finish(closeMessage: .negClose(subscriptionID: Self.subID), outcome: .failure(.protocolError(message))))
    }

    @Test func messagesForOtherSubscriptionsAreIgnored() throws {
        let sets = ClientItemSets.make(seed: 5, onlyClient: 3, common: 100, onlyRelay: 2)
        var machine = try NegentropyClientStateMachine(subscriptionID: Self.subID, filter: Filter(), storage: try sealedStorage(sets.clientItems), classify: RefusalClassifier.classify)
        guard case .send(let open) = machine.start() else { Issue.record("no NEG-OPEN"); return }
        let event = NostrKeypair(secretKeyHex: String(repeating: "03", count: 32))!.sign(kind: 1, createdAt: 1)
        let noise: [RelayMessage] = [
            .negMsg(subscriptionID: "neg-2", message: "zz"),
            .negMsg(subscriptionID: "neg-2", message: "6100000200"),
            .negErr(subscriptionID: "neg-2", reason: "blocked: too many query results", maxRecords: 10),
            .negErr(subscriptionID: "NEG-1", reason: "closed: unknown subscription handle", maxRecords: nil),
            .closed(subscriptionID: "neg-11", message: "error: shutting down"),
            .event(subscriptionID: Self.subID, event: event),
            .eose(subscriptionID: Self.subID),
            .ok(eventID: event.id, accepted: true, message: ""),
            .count(subscriptionID: Self.subID, count: 3),
        ]
        for message in noise {
            #expect(machine.receive(message) == .wait, "\(message.jsonText)")
        }
        #expect(!machine.isFinished)
        let final = Self.finish(&machine, responder: ResponderRelay(items: sets.relayItems), last: open)
        guard case .success(let result)? = final.outcome else {
            Issue.record("session did not succeed: \(final)")
            return
        }
        #expect(Set(result.have) == sets.onlyClientIDs)
        #expect(Set(result.need) == sets.onlyRelayIDs)
    }

    // MARK: - Round bounds

    /// One range up to infinity in Fingerprint mode whose fingerprint matches nothing: the
    /// client always answers, and learns no id.
    static let neverConvergingNegMsg = "61" + "00" + "00" + "01" + String(repeating: "ff", count: 16)

    @Test(arguments: [0, 20, 1500])
    func aRelayThatNeverLetsTheSessionConvergeEndsItAfterTheNoProgressBound(localItems: Int) throws {
        let items = ClientItemSets.make(seed: 3, onlyClient: localItems, common: 0, onlyRelay: 0).clientItems
        var machine = try NegentropyClientStateMachine(subscriptionID: Self.subID, filter: Self.filter, storage: try sealedStorage(items),
                                                       maxRoundsWithoutNewIDs: 32, classify: RefusalClassifier.classify)
        _ = machine.start()
        var answers = 0
        var action = NegentropyClientStateMachine.Action.wait
        while answers < 1_000 {
            answers += 1
            action = machine.receive(.negMsg(subscriptionID: Self.subID, message: Self.neverConvergingNegMsg))
            guard case .send = action else { break }
        }
        #expect(answers == 32)
        #expect(action == .finish(closeMessage: .negClose(subscriptionID: Self.subID), outcome: .failure(.noProgress(rounds: 32))))
        #expect(machine.isFinished)
    }

    @Test func anHonestManyRoundExchangeFindingIdsEveryFewRoundsIsNotCutShort() throws {
        // Frame limit 4096 over ~1800 items forces many rounds; with a bound of 4 rounds
        // without new ids the session still completes, because each round past the first
        // levels finds ids.
        let file = try Fixtures.load(ExchangeFile.self, "25-frame-limit-4096-4096.json")
        let clientItems = file.clientItems.map { NegentropyItem(timestamp: $0.timestamp, id: $0.id) }
        let serverItems = file.serverItems.map { NegentropyItem(timestamp: $0.timestamp, id: $0.id) }
        var machine = try NegentropyClientStateMachine(subscriptionID: "honest", filter: Filter(), storage: try sealedStorage(clientItems),
                                                       frameSizeLimit: 4096, maxRoundsWithoutNewIDs: 4, classify: RefusalClassifier.classify)
        let (final, _) = exchange(&machine, with: ResponderRelay(items: serverItems, frameSizeLimit: 4096))
        guard case .success(let result)? = final.outcome else {
            Issue.record("exchange did not succeed: \(final)")
            return
        }
        #expect(result.rounds > 4)
        #expect(Set(result.need.map(\.hex)) == Set(file.clientNeed))
    }

    @Test func theTotalRoundBoundEndsEvenAProductiveSession() throws {
        let file = try Fixtures.load(ExchangeFile.self, "25-frame-limit-4096-4096.json")
        let clientItems = file.clientItems.map { NegentropyItem(timestamp: $0.timestamp, id: $0.id) }
        let serverItems = file.serverItems.map { NegentropyItem(timestamp: $0.timestamp, id: $0.id) }
        var machine = try NegentropyClientStateMachine(subscriptionID: "capped", filter: Filter(), storage: try sealedStorage(clientItems),
                                                       frameSizeLimit: 4096, maxRounds: 3, classify: RefusalClassifier.classify)
        let (final, _) = exchange(&machine, with: ResponderRelay(items: serverItems, frameSizeLimit: 4096))
        #expect(final.outcome == .failure(.noProgress(rounds: 3)))
    }

    @Test func aFinishedMachineIgnoresEverything() throws {
        var machine = try Self.opened()
        _ = machine.receive(.negErr(subscriptionID: Self.subID, reason: "closed: bye", maxRecords: nil))
        #expect(machine.isFinished)
        #expect(machine.receive(.negMsg(subscriptionID: Self.subID, message: "61")) == .wait)
        #expect(machine.receive(.notice("error")) == .wait)
        #expect(machine.idleTimeout() == .wait)
        #expect(machine.disconnected() == .wait)
        #expect(machine.start() == .wait)
    }
}
