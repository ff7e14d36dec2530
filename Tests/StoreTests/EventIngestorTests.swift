import Foundation
import Nostr
import Store
import Testing

/// A copy of `event` with one field replaced (breaking its id or signature).
private func tampered(_ event: NostrEvent, content: String? = nil, sig: String? = nil) -> NostrEvent {
    NostrEvent(id: event.id, pubkey: event.pubkey, createdAt: event.createdAt, kind: event.kind, tags: event.tags,
               content: content ?? event.content, sig: sig ?? event.sig)
}

/// `hex` with its last digit changed.
private func flipLastHexDigit(_ hex: String) -> String {
    String(hex.dropLast()) + (hex.last == "0" ? "1" : "0")
}

@Suite("EventIngestor: verification and answers")
struct EventIngestorVerificationTests {
    @Test func invalidSignatureIsRejectedBeforeAnythingElse() throws {
        let h = try Harness(Configs.strict)
        let good = listedAnnouncement(Keys.owner)
        let badSig = tampered(good, sig: flipLastHexDigit(good.sig))
        let result = h.ingest(badSig)
        #expect(result == .invalid(.badSignature))
        #expect(result.okAnswer == (accepted: false, message: "invalid: signature verification failed"))
        #expect(try h.store.totalCount() == 0)
        // Invalid events never enter the rejected index.
        #expect(h.rejected.sizes == (hot: 0, cold: 0))
    }

    @Test func alteredContentIsAnIDMismatch() throws {
        let h = try Harness(Configs.strict)
        let note = Keys.owner.sign(kind: 10317, content: "original", createdAt: t0)
        let result = h.ingest(tampered(note, content: "altered"))
        #expect(result == .invalid(.idMismatch))
        #expect(result.okAnswer.message == "invalid: event id does not match")
        #expect(try h.store.totalCount() == 0)
    }

    @Test func malformedHexIsInvalid() throws {
        let h = try Harness(Configs.strict)
        let note = Keys.owner.sign(kind: 10317, createdAt: t0)
        let upper = NostrEvent(id: note.id.uppercased(), pubkey: note.pubkey, createdAt: note.createdAt, kind: note.kind,
                               tags: note.tags, content: note.content, sig: note.sig)
        #expect(h.ingest(upper) == .invalid(.badHex(field: "id")))
    }

    @Test func preVerifiedEventsSkipTheCheck() throws {
        let h = try Harness(Configs.strict)
        let good = Keys.owner.sign(kind: 10317, createdAt: t0)
        let badSig = tampered(good, sig: flipLastHexDigit(good.sig))
        #expect(h.ingestor.ingest(badSig, verified: true) == .saved)
    }

    @Test func okAnswerPrefixes() throws {
        let h = try Harness(Configs.strict)
        let list = Keys.owner.sign(kind: 10317, createdAt: t0)
        let saved = h.ingest(list)
        #expect(saved == .saved)
        #expect(saved.okAnswer == (accepted: true, message: ""))

        let duplicate = h.ingest(list)
        #expect(duplicate == .duplicate)
        #expect(duplicate.okAnswer.accepted)
        #expect(duplicate.okAnswer.message.hasPrefix("duplicate: "))

        let superseded = h.ingest(Keys.owner.sign(kind: 10317, createdAt: t0 - 1))
        #expect(superseded == .superseded)
        #expect(superseded.okAnswer.accepted)
        #expect(superseded.okAnswer.message.hasPrefix("duplicate: "))

        let invalid = h.ingest(tampered(list, content: "x"))
        #expect(invalid.okAnswer.accepted == false)
        #expect(invalid.okAnswer.message.hasPrefix("invalid: "))

        let notListed = h.ingest(unlistedAnnouncement(Keys.outsider))
        #expect(notListed == .rejected(.doesNotListService))
        #expect(notListed.okAnswer.accepted == false)
        #expect(notListed.okAnswer.message.hasPrefix("blocked: "))

        let unauthorised = h.ingest(repoState(Keys.outsider, d: "nothing"))
        #expect(unauthorised.okAnswer.message.hasPrefix("invalid: "))

        #expect(IngestResult.knownRejected.okAnswer == (accepted: false, message: "blocked: event was rejected before"))
        #expect(IngestResult.storeFailed(.database("x")).okAnswer.accepted == false)
        #expect(IngestResult.storeFailed(.database("x")).okAnswer.message.hasPrefix("error: "))
        #expect(IngestResult.deleted.okAnswer.message.hasPrefix("blocked: "))
        // Every message parses back to its prefix.
        #expect(MachineReadablePrefix.of(duplicate.okAnswer.message) == .duplicate)
        #expect(MachineReadablePrefix.of(invalid.okAnswer.message) == .invalid)
        #expect(MachineReadablePrefix.of(notListed.okAnswer.message) == .blocked)
    }

    @Test func storeFailureBecomesStoreFailed() {
        let ingestor = EventIngestor(store: FailingStore(), policy: AcceptancePolicy(configuration: Configs.strict),
                                     clock: ManualClock(start: Double(t0)))
        let result = ingestor.ingest(Keys.owner.sign(kind: 10317, createdAt: t0))
        #expect(result == .storeFailed(FailingStore.error))
        #expect(result.okAnswer == (accepted: false, message: "error: could not store the event, try again later"))
        // Policy lookups failing are fail-secure too, and nothing is remembered as rejected.
        #expect(ingestor.ingest(unlistedAnnouncement(Keys.owner)) == .storeFailed(FailingStore.error))
        #expect(ingestor.rejected.sizes == (hot: 0, cold: 0))
    }
}

@Suite("EventIngestor: rejected index and dependency arrival")
struct EventIngestorReprocessingTests {
    @Test func rejectedStateIsStoredWhenItsAnnouncementArrives() throws {
        let h = try Harness(Configs.strict)
        let state = repoState(Keys.owner)
        #expect(h.ingest(state) == .rejected(.noAnnouncement))
        #expect(h.rejected.contains(state.id, now: h.clock.now()))
        h.clock.advance(by: 30)
        #expect(h.ingest(listedAnnouncement(Keys.owner, createdAt: t0 + 30)) == .saved)
        #expect(try h.stored(state))
        #expect(h.rejected.contains(state.id, now: h.clock.now()) == false)
        #expect(h.rejected.sizes == (hot: 0, cold: 0))
    }

    @Test func maintainersRejectedStateIsStoredWhenOwnerListsThem() throws {
        let h = try Harness(Configs.strict)
        let state = repoState(Keys.maintainer)
        let outsiderState = repoState(Keys.outsider)
        #expect(h.ingest(state) == .rejected(.noAnnouncement))
        #expect(h.ingest(outsiderState) == .rejected(.noAnnouncement))
        #expect(h.ingest(listedAnnouncement(Keys.owner, maintainers: [Keys.maintainer.publicKey])) == .saved)
        #expect(try h.stored(state))
        // The outsider's state was not a dependant: still rejected, still remembered.
        #expect(try h.stored(outsiderState) == false)
        #expect(h.rejected.contains(outsiderState.id, now: h.clock.now()))
    }

    @Test("M1 maintainer's announcement rejected, then the owner's announcement listing them arrives")
    func maintainerAnnouncementReprocessed() throws {
        let h = try Harness(Configs.strict)
        let maintainer = unlistedAnnouncement(Keys.maintainer)
        #expect(h.ingest(maintainer) == .rejected(.doesNotListService))
        #expect(try h.stored(maintainer) == false)
        h.clock.advance(by: 10)
        let owner = listedAnnouncement(Keys.owner, maintainers: [Keys.maintainer.publicKey], createdAt: t0 + 10)
        #expect(h.ingest(owner) == .saved)
        #expect(try h.stored(maintainer))
        #expect(try h.stored(owner))
        #expect(h.rejected.sizes == (hot: 0, cold: 0))
    }

    @Test("M3 three rejected maintainers, owner lists all three: all four stored")
    func threeMaintainers() throws {
        let h = try Harness(Configs.strict)
        let keys = [Keys.maintainer, Keys.second, Keys.third]
        let rejected = keys.map { unlistedAnnouncement($0) }
        for a in rejected { #expect(h.ingest(a) == .rejected(.doesNotListService)) }
        #expect(h.rejected.counts().hot == [.announcement: 3])
        #expect(h.ingest(listedAnnouncement(Keys.owner, maintainers: keys.map(\.publicKey))) == .saved)
        #expect(try h.store.announcements(identifier: "repo").count == 4)
        for a in rejected { #expect(try h.stored(a)) }
    }

    @Test("M4 owner listing an invalid maintainer hex: owner accepted, rejected maintainer stays out")
    func invalidMaintainerHex() throws {
        let h = try Harness(Configs.strict)
        let maintainer = unlistedAnnouncement(Keys.maintainer)
        #expect(h.ingest(maintainer) == .rejected(.doesNotListService))
        let broken = String(Keys.maintainer.publicKey.dropLast(2)) + "zz"
        let owner = listedAnnouncement(Keys.owner, maintainers: [broken, Keys.maintainer.publicKey.uppercased()])
        #expect(h.ingest(owner) == .saved)
        #expect(try h.stored(maintainer) == false)
        #expect(h.rejected.contains(maintainer.id, now: h.clock.now()))
    }

    @Test("M2 after the hot cache expired, the maintainer's announcement is not brought back")
    func expiredHotEntryIsNotReprocessed() throws {
        let h = try Harness(Configs.strict, hotTTL: 120, coldTTL: 604_800)
        let maintainer = unlistedAnnouncement(Keys.maintainer)
        #expect(h.ingest(maintainer) == .rejected(.doesNotListService))
        h.clock.advance(by: 121)
        #expect(h.ingest(listedAnnouncement(Keys.owner, maintainers: [Keys.maintainer.publicKey])) == .saved)
        #expect(try h.stored(maintainer) == false)
        // Its rejection is invalidated, so sync may fetch it again (and it would now be accepted).
        #expect(h.rejected.contains(maintainer.id, now: h.clock.now()) == false)
        #expect(h.ingest(maintainer, skipKnownRejected: true) == .saved)
    }

    @Test func reprocessingIsRecursive() throws {
        let h = try Harness(Configs.strict)
        // Chain owner -> maintainer -> second; everything below the owner arrives first.
        let maintainer = unlistedAnnouncement(Keys.maintainer, maintainers: [Keys.second.publicKey])
        let second = unlistedAnnouncement(Keys.second)
        let secondState = repoState(Keys.second)
        #expect(h.ingest(second) == .rejected(.doesNotListService))
        #expect(h.ingest(maintainer) == .rejected(.doesNotListService))
        #expect(h.ingest(secondState) == .rejected(.noAnnouncement))
        #expect(h.ingest(listedAnnouncement(Keys.owner, maintainers: [Keys.maintainer.publicKey])) == .saved)
        #expect(try h.stored(maintainer))
        #expect(try h.stored(second))
        #expect(try h.stored(secondState))
        #expect(h.rejected.sizes == (hot: 0, cold: 0))
    }

    @Test func ownerAddingMaintainerReprocessesTheirState() throws {
        let h = try Harness(Configs.strict)
        #expect(h.ingest(listedAnnouncement(Keys.owner)) == .saved)
        let rejected = repoState(Keys.outsider)
        #expect(h.ingest(rejected) == .rejected(.notAuthorized))
        // The outsider becomes a maintainer; the owner's replacement announcement re-processes its state.
        h.clock.advance(by: 5)
        #expect(h.ingest(listedAnnouncement(Keys.owner, maintainers: [Keys.outsider.publicKey], createdAt: t0 + 5)) == .saved)
        #expect(try h.stored(rejected))
    }

    @Test func skipKnownRejectedReturnsKnownRejected() throws {
        let h = try Harness(Configs.strict)
        let a = unlistedAnnouncement(Keys.outsider)
        #expect(h.ingest(a) == .rejected(.doesNotListService))
        let known = h.ingest(a, skipKnownRejected: true)
        #expect(known == .knownRejected)
        #expect(known.okAnswer.message.hasPrefix("blocked: "))
        // Without the pre-filter the event is evaluated again.
        #expect(h.ingest(a) == .rejected(.doesNotListService))
        // Only 30617/30618 use the pre-filter; the cold tier keeps the id known after the hot TTL.
        h.clock.advance(by: 1_000)
        #expect(h.ingest(a, skipKnownRejected: true) == .knownRejected)
        h.clock.advance(by: 604_800)
        #expect(h.ingest(a, skipKnownRejected: true) == .rejected(.doesNotListService))
        let note = Keys.outsider.sign(kind: 1, content: "spam", createdAt: t0)
        #expect(h.ingest(note, skipKnownRejected: true) == .rejected(.unrelated(kind: 1)))
        #expect(h.ingest(note, skipKnownRejected: true) == .rejected(.unrelated(kind: 1)))
    }

    @Test func duplicatesAreAnsweredBeforePolicy() throws {
        var config = Configs.strict
        let h = try Harness(config)
        let a = listedAnnouncement(Keys.owner)
        #expect(h.ingest(a) == .saved)
        #expect(h.ingest(a) == .duplicate)
        // Even if the relay's configuration would now reject it.
        config.serviceURLs = [RelayURL("wss://other.example")!]
        config.blockedAuthors = [Keys.owner.publicKey]
        let strictNow = EventIngestor(store: h.store, policy: AcceptancePolicy(configuration: config), clock: h.clock)
        #expect(strictNow.ingest(a) == .duplicate)
        #expect(strictNow.ingest(listedAnnouncement(Keys.owner, d: "new")) == .rejected(.blockedAuthor))
    }

    @Test func savedEventsReachSubscribersIncludingReprocessedOnes() async throws {
        let h = try Harness(Configs.strict)
        let stream = h.store.subscribe()
        let state = repoState(Keys.owner)
        let owner = listedAnnouncement(Keys.owner)
        #expect(h.ingest(state) == .rejected(.noAnnouncement))
        #expect(h.ingest(owner) == .saved)
        h.store.finishSubscribers()
        var received: [NostrEvent] = []
        for await e in stream { received.append(e) }
        #expect(received == [owner, state])
    }
}

@Suite("EventIngestor: batches")
struct EventIngestorBatchTests {
    /// The owner's repo followed by `issues` issues tagging it; ids at `broken` get a bad signature.
    private func batch(issues: Int, broken: Set<Int>) -> [NostrEvent] {
        var events = [listedAnnouncement(Keys.owner)]
        for i in 0..<issues {
            events.append(Keys.outsider.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.owner, "repo")]], content: "issue \(i)",
                                             createdAt: t0 - Int64(i)))
        }
        for i in broken { events[i] = tampered(events[i], sig: flipLastHexDigit(events[i].sig)) }
        return events
    }

    @Test("results follow input order; later events see earlier ones", arguments: [10, 99, 1_000])
    func batchIngest(issues: Int) throws {
        let h = try Harness(Configs.strict)
        let broken: Set<Int> = [3, issues - 1]
        let events = batch(issues: issues, broken: broken)
        let results = h.ingestor.ingest(batch: events)
        #expect(results.count == events.count)
        for (i, result) in results.enumerated() {
            #expect(result == (broken.contains(i) ? .invalid(.badSignature) : .saved), "index \(i)")
        }
        #expect(try h.store.totalCount() == events.count - broken.count)
        // A second pass finds everything already there.
        #expect(h.ingestor.ingest(batch: events).filter { $0 == .duplicate }.count == events.count - broken.count)
    }

    @Test("a batch holding the same event twice saves it once; a replaceable duplicate is no replacement")
    func duplicatesInsideOneBatch() throws {
        let h = try Harness(Configs.strict)
        let repo = listedAnnouncement(Keys.owner)
        let issue = Keys.outsider.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.owner, "repo")]], content: "i", createdAt: t0)
        let results = h.ingestor.ingest(batch: [repo, issue, issue, repo])
        #expect(results == [.saved, .saved, .duplicate, .duplicate])
        #expect(try h.store.totalCount() == 2)
    }

    @Test("a deletion earlier in the batch keeps its target out; one after it removes it")
    func deletionInsideOneBatch() throws {
        let h = try Harness(Configs.strict)
        let repo = listedAnnouncement(Keys.owner)
        let issue = Keys.outsider.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.owner, "repo")]], content: "i", createdAt: t0)
        let deletion = Keys.outsider.sign(kind: 5, tags: [["e", issue.id]], content: "", createdAt: t0 + 1)
        // The deletion arrives first: the issue it names must not be stored afterwards.
        #expect(h.ingestor.ingest(batch: [repo, deletion, issue]) == [.saved, .saved, .deleted])
        #expect(try h.store.contains(eventID: issue.id) == false)
        let other = try Harness(Configs.strict)
        #expect(other.ingestor.ingest(batch: [repo, issue, deletion]) == [.saved, .saved, .saved])
        #expect(try other.store.contains(eventID: issue.id) == false)
    }

    @Test func verifyConcurrentlyMatchesSequentialVerification() {
        let events = batch(issues: 199, broken: [0, 17, 64, 150, 199])
        let verdicts = EventIngestor.verifyConcurrently(events)
        #expect(verdicts.count == 200)
        for (i, e) in events.enumerated() {
            #expect(verdicts[i] == (e.isValid ? nil : .badSignature), "index \(i)")
        }
        #expect(verdicts.compactMap { $0 }.count == 5)
        #expect(EventIngestor.verifyConcurrently([]).isEmpty)
    }
}
