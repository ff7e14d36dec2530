import Foundation
import Nostr
import Store
import Testing

/// An ingestor with a deferred index of chosen bounds, in virtual time.
private struct DeferredHarness {
    let store: SQLiteEventStore
    let clock = ManualClock(start: Double(t0))
    let deferred: DeferredEventsIndex
    let ingestor: EventIngestor

    init(maxEvents: Int = 10_000, maxBytes: Int = 32 * 1024 * 1024, ttl: Double = 3_600) throws {
        store = try SQLiteEventStore()
        deferred = DeferredEventsIndex(maxEvents: maxEvents, maxBytes: maxBytes, ttl: ttl)
        ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: Configs.lenient),
                                 deferred: deferred, clock: clock)
    }

    func stored(_ events: [NostrEvent]) throws -> [Bool] { try events.map { try store.contains(eventID: $0.id) } }
}

/// A repository thread: announcement, issue, comment on the issue, reply to the comment,
/// status of the issue, oldest first.
private struct RepoThread {
    let announcement: NostrEvent
    let issue: NostrEvent
    let comment: NostrEvent
    let reply: NostrEvent
    let status: NostrEvent

    var oldestFirst: [NostrEvent] { [announcement, issue, comment, reply, status] }

    init(d: String = "repo") {
        announcement = listedAnnouncement(Keys.owner, d: d)
        issue = Keys.outsider.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.owner, d)], ["p", Keys.owner.publicKey], ["subject", "bug"]],
                                   content: "it breaks", createdAt: t0 + 1)
        comment = Keys.second.sign(kind: 1111, tags: [
            ["E", issue.id, "", issue.pubkey], ["K", "1621"], ["P", issue.pubkey],
            ["e", issue.id, "", issue.pubkey], ["k", "1621"], ["p", issue.pubkey],
        ], content: "same here", createdAt: t0 + 2)
        // References only the comment, so it needs the comment stored first.
        reply = Keys.third.sign(kind: 1111, tags: [["e", comment.id, "", comment.pubkey], ["k", "1111"], ["p", comment.pubkey]],
                                content: "fixed?", createdAt: t0 + 3)
        status = Keys.owner.sign(kind: 1630, tags: [["e", issue.id, "", "root"], ["p", issue.pubkey]], content: "", createdAt: t0 + 4)
    }
}

/// A kind-1621 event waiting for an unknown repository; `padding` grows its JSON.
private func orphan(_ n: Int, padding: Int = 0) -> NostrEvent {
    Keys.outsider.sign(kind: 1621, tags: [["a", "30617:\(Keys.owner.publicKey):missing\(n)"]],
                       content: String(repeating: "x", count: padding), createdAt: t0 + Int64(n))
}

@Suite("DeferredEventsIndex: bounds and expiry")
struct DeferredEventsIndexBoundsTests {
    @Test func countBoundEvictsOldestFirst() {
        let index = DeferredEventsIndex(maxEvents: 3)
        let events = (0..<5).map { orphan($0) }
        for (i, e) in events.enumerated() { index.add(e, now: Double(t0) + Double(i)) }
        #expect(events.map { index.contains($0.id) } == [false, false, true, true, true])
        let stats = index.statistics
        #expect(stats.events == 3)
        #expect(stats.added == 5)
        #expect(stats.evictedCount == 2)
        #expect(stats.evictedBytes == 0)
        #expect(stats.bytes == events[2...].reduce(0) { $0 + $1.jsonText.utf8.count })
    }

    @Test func byteBoundEvictsOldestFirst() {
        let events = (0..<3).map { orphan($0, padding: 1_000) }
        let size = events[0].jsonText.utf8.count
        // Room for two of them, not three.
        let index = DeferredEventsIndex(maxBytes: 2 * size + size / 2)
        for e in events { index.add(e, now: Double(t0)) }
        #expect(events.map { index.contains($0.id) } == [false, true, true])
        #expect(index.statistics.evictedBytes == 1)
        #expect(index.statistics.evictedCount == 0)
        #expect(index.statistics.bytes == 2 * size)
        // An event larger than the whole bound is not held, and evicts nothing.
        let huge = orphan(9, padding: 3 * size)
        index.add(huge, now: Double(t0))
        #expect(!index.contains(huge.id))
        #expect(index.contains(events[1].id) && index.contains(events[2].id))
        #expect(index.statistics.evictedBytes == 2)
    }

    @Test func duplicatesAreKeptOnce() {
        let index = DeferredEventsIndex()
        let e = orphan(1)
        index.add(e, now: Double(t0))
        index.add(e, now: Double(t0) + 5)
        #expect(index.statistics.events == 1)
        #expect(index.statistics.added == 1)
        #expect(index.statistics.bytes == e.jsonText.utf8.count)
    }

    @Test func cleanupDropsExpiredEntriesInVirtualTime() {
        let index = DeferredEventsIndex(ttl: 100)
        let early = orphan(1)
        let late = orphan(2)
        index.add(early, now: Double(t0))
        index.add(late, now: Double(t0) + 50)
        index.cleanup(now: Double(t0) + 99.9)
        #expect(index.contains(early.id) && index.contains(late.id))
        index.cleanup(now: Double(t0) + 100)
        #expect(!index.contains(early.id))
        #expect(index.contains(late.id))
        #expect(index.statistics.expired == 1)
        #expect(index.statistics.events == 1)
        #expect(index.statistics.bytes == late.jsonText.utf8.count)
    }

    @Test func expiredEntriesAreNeverHandedOut() {
        let index = DeferredEventsIndex(ttl: 100)
        let thread = RepoThread()
        index.add(thread.issue, now: Double(t0))
        // No cleanup ran, but the entry is past its TTL when its repository arrives.
        #expect(index.take(waitingOn: thread.announcement, now: Double(t0) + 100).isEmpty)
        #expect(index.statistics.expired == 1)
        #expect(index.statistics.reprocessed == 0)
        #expect(index.statistics.events == 0)
    }

    @Test func takingForASavedEventAlsoDropsItsOwnEntry() {
        let index = DeferredEventsIndex()
        let thread = RepoThread()
        index.add(thread.comment, now: Double(t0))
        index.add(thread.issue, now: Double(t0))
        // The issue got stored by another route: what waits for it comes out, and so does it.
        #expect(index.take(waitingOn: thread.issue, now: Double(t0) + 1) == [thread.comment])
        #expect(!index.contains(thread.issue.id))
        #expect(index.statistics.events == 0)
        #expect(index.statistics.bytes == 0)
        #expect(index.statistics.reprocessed == 1)
    }

    @Test func waitKeysAreCoordinatesAndLowercaseHexIDs() {
        let id = String(repeating: "cd", count: 32)
        let e = Keys.outsider.sign(kind: 1111, tags: [
            ["a", "30617:\(Keys.owner.publicKey):repo"], ["A", "no-colon"], ["q", id], ["q", "30618:\(Keys.owner.publicKey):repo"],
            ["e", id.uppercased()], ["E", id], ["p", Keys.owner.publicKey], ["e"],
        ], createdAt: t0)
        #expect(DeferredEventsIndex.waitKeys(of: e) == [
            "30617:\(Keys.owner.publicKey):repo", id, "30618:\(Keys.owner.publicKey):repo", id,
        ])
    }
}

@Suite("DeferredEventsIndex: out-of-order ingestion")
struct DeferredIngestionTests {
    @Test func reverseOrderCascadeEndsWithEverythingStored() throws {
        let h = try DeferredHarness()
        let thread = RepoThread()
        let newestFirst = Array(thread.oldestFirst.reversed())
        let results = newestFirst.map { h.ingestor.ingest($0) }
        // Each answer is the honest refusal of its moment; only the announcement is saved directly.
        #expect(results == newestFirst.dropLast().map { .rejected(.unrelated(kind: $0.kind)) } + [.saved])
        #expect(try h.stored(thread.oldestFirst) == [true, true, true, true, true])
        let stats = h.deferred.statistics
        #expect(stats.added == 4)
        #expect(stats.reprocessed == 4)
        #expect(stats.accepted == 4)
        #expect(stats.events == 0)
        #expect(stats.bytes == 0)
    }

    @Test func okAnswerOfADeferredEventIsTheBlockedRefusal() throws {
        let h = try DeferredHarness()
        let thread = RepoThread()
        let answer = h.ingestor.ingest(thread.status).okAnswer
        #expect(answer.accepted == false)
        #expect(answer.message == "blocked: kind 1630 event must reference an accepted repository or accepted event")
        #expect(h.deferred.contains(thread.status.id))
        #expect(try !h.store.contains(eventID: thread.status.id))
    }

    @Test func cascadesHaveNoDepthLimit() throws {
        let h = try DeferredHarness()
        let thread = RepoThread()
        // 40 replies, each to the one before: far deeper than the rejected index's 16.
        var chain = [thread.issue]
        for i in 0..<40 {
            let parent = chain[chain.count - 1]
            chain.append(Keys.second.sign(kind: 1111, tags: [["e", parent.id], ["k", String(parent.kind)]],
                                          content: "\(i)", createdAt: t0 + 10 + Int64(i)))
        }
        for e in chain.reversed() { h.ingestor.ingest(e) }
        #expect(h.deferred.statistics.events == 41)
        #expect(h.ingestor.ingest(thread.announcement) == .saved)
        #expect(try h.stored(chain).allSatisfy { $0 })
        #expect(h.deferred.statistics.accepted == 41)
        #expect(h.deferred.statistics.events == 0)
    }

    @Test func batchNewestFirstEndsWithEverythingStored() throws {
        let h = try DeferredHarness()
        let threads = [RepoThread(d: "one"), RepoThread(d: "two")]
        let newestFirst = threads.flatMap(\.oldestFirst).sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        let results = h.ingestor.ingest(batch: newestFirst)
        #expect(results.count == newestFirst.count)
        #expect(results.filter { $0 == .saved }.count == 2)
        #expect(try h.stored(newestFirst).allSatisfy { $0 })
        #expect(h.deferred.statistics.accepted == 8)
        #expect(h.deferred.statistics.events == 0)
    }

    @Test func anEventReferencingNothingIsNotHeld() throws {
        let h = try DeferredHarness()
        // Nothing it could wait for can arrive; only a later event pointing at it admits it.
        let note = Keys.third.sign(kind: 1, content: "hello", createdAt: t0)
        #expect(h.ingestor.ingest(note) == .rejected(.unrelated(kind: 1)))
        #expect(!h.deferred.contains(note.id))
        #expect(h.deferred.statistics.added == 0)
    }

    @Test func unrelatedEventsExpireWhenNothingArrives() throws {
        let h = try DeferredHarness(ttl: 60)
        let thread = RepoThread()
        h.ingestor.ingest(thread.issue)
        h.clock.advance(by: 61)
        h.deferred.cleanup(now: h.clock.now())
        #expect(h.ingestor.ingest(thread.announcement) == .saved)
        #expect(try !h.store.contains(eventID: thread.issue.id))
        #expect(h.deferred.statistics.expired == 1)
        #expect(h.deferred.statistics.accepted == 0)
    }

    @Test func otherRejectionsAreNotDeferred() throws {
        let h = try DeferredHarness()
        // Refused for not listing the service: no later event can change that.
        let unlisted = unlistedAnnouncement(Keys.owner)
        #expect(h.ingestor.ingest(unlisted) == .rejected(.doesNotListService))
        #expect(h.deferred.statistics.added == 0)
        #expect(!h.deferred.contains(unlisted.id))
    }
}
