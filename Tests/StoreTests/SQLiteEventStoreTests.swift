import Foundation
import Nostr
import Store
import Testing

/// Ids of `events` in the order the store must return them: newest first, ties by id ascending.
private func newestFirst(_ events: [NostrEvent]) -> [String] {
    events.sorted { $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $0.id < $1.id }.map(\.id)
}

/// Two events of `kind` by `key` at the same instant, returned as (lower id, higher id).
private func sameInstantPair(_ key: NostrKeypair, kind: Int, tags: [[String]] = [], at createdAt: Int64) -> (low: NostrEvent, high: NostrEvent) {
    let a = key.sign(kind: kind, tags: tags, content: "first", createdAt: createdAt)
    let b = key.sign(kind: kind, tags: tags, content: "second", createdAt: createdAt)
    return a.id < b.id ? (a, b) : (b, a)
}

@Suite("SQLiteEventStore: insert, replaceable and addressable semantics")
struct SQLiteEventStoreInsertTests {
    @Test func insertThenDuplicate() throws {
        let store = try SQLiteEventStore()
        let note = Keys.owner.sign(kind: 1, tags: [["t", "swift"]], content: "héllo \"world\"\n", createdAt: t0)
        #expect(try store.insert(note) == .saved)
        #expect(try store.insert(note) == .duplicate)
        #expect(try store.contains(eventID: note.id))
        #expect(try store.contains(eventID: unknownID) == false)
        #expect(try store.contains(eventID: "not-hex") == false)
        #expect(try store.totalCount() == 1)
        // The stored event round-trips field for field.
        #expect(try store.query([Filter(ids: [note.id])], maxLimit: 10) == [note])
    }

    @Test("replaceable kinds keep only the newest per (kind, pubkey)", arguments: [0, 3, 10000, 10317, 19999])
    func replaceableKeepsNewest(kind: Int) throws {
        let store = try SQLiteEventStore()
        let v1 = Keys.owner.sign(kind: kind, content: "v1", createdAt: t0)
        let v2 = Keys.owner.sign(kind: kind, content: "v2", createdAt: t0 + 10)
        let older = Keys.owner.sign(kind: kind, content: "older", createdAt: t0 - 5)
        #expect(try store.insert(v1) == .saved)
        #expect(try store.insert(v2) == .saved)
        #expect(try store.contains(eventID: v1.id) == false)
        #expect(try store.insert(older) == .superseded)
        #expect(try store.query([Filter(kinds: [kind])], maxLimit: 10) == [v2])
        #expect(try store.totalCount() == 1)
    }

    @Test func replaceableIsPerKindAndPubkey() throws {
        let store = try SQLiteEventStore()
        let a = Keys.owner.sign(kind: 10317, content: "owner", createdAt: t0)
        let b = Keys.outsider.sign(kind: 10317, content: "outsider", createdAt: t0)
        let c = Keys.owner.sign(kind: 0, content: "profile", createdAt: t0)
        for e in [a, b, c] { #expect(try store.insert(e) == .saved) }
        #expect(try store.totalCount() == 3)
    }

    @Test func replaceableEqualTimestampKeepsLowestID() throws {
        let (low, high) = sameInstantPair(Keys.owner, kind: 10317, at: t0)

        let highFirst = try SQLiteEventStore()
        #expect(try highFirst.insert(high) == .saved)
        #expect(try highFirst.insert(low) == .saved)
        #expect(try highFirst.query([Filter(kinds: [10317])], maxLimit: 10) == [low])

        let lowFirst = try SQLiteEventStore()
        #expect(try lowFirst.insert(low) == .saved)
        #expect(try lowFirst.insert(high) == .superseded)
        #expect(try lowFirst.query([Filter(kinds: [10317])], maxLimit: 10) == [low])
    }

    @Test func addressableKeepsNewestPerKindPubkeyAndD() throws {
        let store = try SQLiteEventStore()
        let repoV1 = listedAnnouncement(Keys.owner, d: "repo", createdAt: t0)
        let repoV2 = listedAnnouncement(Keys.owner, d: "repo", createdAt: t0 + 60)
        let otherRepo = listedAnnouncement(Keys.owner, d: "other", createdAt: t0)
        let outsidersRepo = listedAnnouncement(Keys.outsider, d: "repo", createdAt: t0)
        #expect(try store.insert(repoV1) == .saved)
        #expect(try store.insert(otherRepo) == .saved)
        #expect(try store.insert(outsidersRepo) == .saved)
        #expect(try store.insert(repoV2) == .saved)
        #expect(try store.insert(repoV1) == .superseded)
        #expect(try store.contains(eventID: repoV1.id) == false)
        #expect(try store.totalCount() == 3)
        #expect(try store.containsAddressable(kind: 30617, pubkey: Keys.owner.publicKey, identifier: "repo"))
        #expect(try store.containsAddressable(kind: 30617, pubkey: Keys.owner.publicKey, identifier: "other"))
        #expect(try store.containsAddressable(kind: 30617, pubkey: Keys.owner.publicKey, identifier: "missing") == false)
        #expect(try store.containsAddressable(kind: 30618, pubkey: Keys.owner.publicKey, identifier: "repo") == false)
        #expect(try store.query([Filter(authors: [Keys.owner.publicKey], tags: ["d": ["repo"]])], maxLimit: 10) == [repoV2])
    }

    @Test func addressableEqualTimestampKeepsLowestID() throws {
        let (low, high) = sameInstantPair(Keys.owner, kind: 30618, tags: [["d", "repo"]], at: t0)
        let store = try SQLiteEventStore()
        #expect(try store.insert(high) == .saved)
        #expect(try store.insert(low) == .saved)
        #expect(try store.insert(high) == .superseded)
        #expect(try store.query([Filter(kinds: [30618])], maxLimit: 10) == [low])
    }

    @Test func addressableWithoutDTagUsesEmptyIdentifier() throws {
        let store = try SQLiteEventStore()
        let noD = Keys.owner.sign(kind: 30078, content: "no d", createdAt: t0)
        let emptyD = Keys.owner.sign(kind: 30078, tags: [["d", ""]], content: "empty d", createdAt: t0 + 1)
        let namedD = Keys.owner.sign(kind: 30078, tags: [["d", "x"]], content: "x", createdAt: t0)
        #expect(try store.insert(noD) == .saved)
        #expect(try store.insert(emptyD) == .saved) // replaces noD: both have d = ""
        #expect(try store.insert(namedD) == .saved)
        #expect(try store.contains(eventID: noD.id) == false)
        #expect(try store.containsAddressable(kind: 30078, pubkey: Keys.owner.publicKey, identifier: ""))
        #expect(try store.totalCount() == 2)
    }

    @Test func ephemeralIsNotStored() throws {
        let store = try SQLiteEventStore()
        let e = Keys.owner.sign(kind: 20001, content: "typing", createdAt: t0)
        #expect(try store.insert(e) == .ephemeral)
        #expect(try store.insert(e) == .ephemeral)
        #expect(try store.contains(eventID: e.id) == false)
        #expect(try store.totalCount() == 0)
        #expect(InsertOutcome.ephemeral.isNew)
        #expect(InsertOutcome.saved.isNew)
        #expect(InsertOutcome.duplicate.isNew == false)
        #expect(InsertOutcome.superseded.isNew == false)
    }
}

@Suite("SQLiteEventStore: NIP-09 deletion")
struct SQLiteEventStoreDeletionTests {
    @Test func authorDeletesByEventID() throws {
        let store = try SQLiteEventStore()
        let doomed = Keys.owner.sign(kind: 1, content: "doomed", createdAt: t0)
        let kept = Keys.owner.sign(kind: 1, content: "kept", createdAt: t0)
        try #require(try store.insert(doomed) == .saved)
        try #require(try store.insert(kept) == .saved)
        let deletion = Keys.owner.sign(kind: 5, tags: [["e", doomed.id]], content: "oops", createdAt: t0 + 10)
        #expect(try store.insert(deletion) == .saved)
        #expect(try store.contains(eventID: doomed.id) == false)
        #expect(try store.contains(eventID: kept.id))
        #expect(try store.contains(eventID: deletion.id))
        // Re-sent later, the deleted event stays deleted.
        #expect(try store.insert(doomed) == .deleted)
        #expect(try store.contains(eventID: doomed.id) == false)
        #expect(try store.totalCount() == 2)
    }

    @Test func deletionArrivingFirstBlocksTheEvent() throws {
        let store = try SQLiteEventStore()
        let target = Keys.owner.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.owner, "repo")]], content: "issue", createdAt: t0)
        let deletion = Keys.owner.sign(kind: 5, tags: [["e", target.id]], createdAt: t0 + 10)
        #expect(try store.insert(deletion) == .saved)
        #expect(try store.insert(target) == .deleted)
        #expect(try store.totalCount() == 1)
    }

    @Test func authorDeletesAddressableVersionsUpToDeletionTime() throws {
        let store = try SQLiteEventStore()
        let v1 = listedAnnouncement(Keys.owner, createdAt: t0)
        let otherRepo = listedAnnouncement(Keys.owner, d: "other", createdAt: t0)
        try #require(try store.insert(v1) == .saved)
        try #require(try store.insert(otherRepo) == .saved)
        let deletion = Keys.owner.sign(kind: 5, tags: [["a", repoCoordinate(Keys.owner, "repo")]], createdAt: t0 + 100)
        #expect(try store.insert(deletion) == .saved)
        #expect(try store.contains(eventID: v1.id) == false)
        #expect(try store.containsAddressable(kind: 30617, pubkey: Keys.owner.publicKey, identifier: "repo") == false)
        #expect(try store.contains(eventID: otherRepo.id))
        // Versions up to (and at) the deletion's created_at stay deleted ...
        #expect(try store.insert(v1) == .deleted)
        #expect(try store.insert(listedAnnouncement(Keys.owner, createdAt: t0 + 100)) == .deleted)
        // ... a newer version is a new announcement.
        let v3 = listedAnnouncement(Keys.owner, createdAt: t0 + 101)
        #expect(try store.insert(v3) == .saved)
        #expect(try store.containsAddressable(kind: 30617, pubkey: Keys.owner.publicKey, identifier: "repo"))
    }

    @Test func addressDeletionKeepsNewerStoredVersion() throws {
        let store = try SQLiteEventStore()
        let newer = listedAnnouncement(Keys.owner, createdAt: t0 + 200)
        try #require(try store.insert(newer) == .saved)
        let deletion = Keys.owner.sign(kind: 5, tags: [["a", repoCoordinate(Keys.owner, "repo")]], createdAt: t0 + 100)
        #expect(try store.insert(deletion) == .saved)
        #expect(try store.contains(eventID: newer.id))
    }

    @Test func authorDeletesReplaceableByAddress() throws {
        let store = try SQLiteEventStore()
        let list = Keys.owner.sign(kind: 10317, tags: [["g", serviceRelay]], createdAt: t0)
        try #require(try store.insert(list) == .saved)
        let deletion = Keys.owner.sign(kind: 5, tags: [["a", "10317:\(Keys.owner.publicKey):"]], createdAt: t0 + 10)
        #expect(try store.insert(deletion) == .saved)
        #expect(try store.contains(eventID: list.id) == false)
        #expect(try store.insert(list) == .deleted)
        #expect(try store.insert(Keys.owner.sign(kind: 10317, tags: [["g", serviceRelay]], createdAt: t0 + 11)) == .saved)
    }

    @Test func deletionBySomeoneElseRemovesNothing() throws {
        let store = try SQLiteEventStore()
        let note = Keys.owner.sign(kind: 1, content: "mine", createdAt: t0)
        let repo = listedAnnouncement(Keys.owner, createdAt: t0)
        try #require(try store.insert(note) == .saved)
        try #require(try store.insert(repo) == .saved)
        let forged = Keys.outsider.sign(kind: 5, tags: [["e", note.id], ["e", repo.id], ["a", repoCoordinate(Keys.owner, "repo")]],
                                        createdAt: t0 + 10)
        #expect(try store.insert(forged) == .saved)
        #expect(try store.contains(eventID: note.id))
        #expect(try store.contains(eventID: repo.id))
        #expect(try store.containsAddressable(kind: 30617, pubkey: Keys.owner.publicKey, identifier: "repo"))
        // Nor does it block the owner's events arriving later.
        let later = Keys.owner.sign(kind: 1, content: "later", createdAt: t0 + 20)
        let forged2 = Keys.outsider.sign(kind: 5, tags: [["e", later.id]], createdAt: t0 + 30)
        #expect(try store.insert(forged2) == .saved)
        #expect(try store.insert(later) == .saved)
        #expect(try store.totalCount() == 5)
    }

    @Test func deletingADeletionHasNoEffect() throws {
        let store = try SQLiteEventStore()
        let note = Keys.owner.sign(kind: 1, content: "x", createdAt: t0)
        let deletion = Keys.owner.sign(kind: 5, tags: [["e", note.id]], createdAt: t0 + 1)
        let undo = Keys.owner.sign(kind: 5, tags: [["e", deletion.id]], createdAt: t0 + 2)
        try #require(try store.insert(note) == .saved)
        try #require(try store.insert(deletion) == .saved)
        #expect(try store.insert(undo) == .saved)
        #expect(try store.contains(eventID: deletion.id))
        #expect(try store.insert(note) == .deleted)
    }
}

@Suite("SQLiteEventStore: query, count and id listing")
struct SQLiteEventStoreQueryTests {
    /// A corpus touching every filter field.
    struct Corpus {
        let store: SQLiteEventStore
        let repo: NostrEvent      // owner 30617 at t0
        let issue: NostrEvent     // owner 1621 at t0+10, a=repo, t=bug
        let comment: NostrEvent   // outsider 1111 at t0+20, E=issue, K=1621
        let reaction: NostrEvent  // outsider 7 at t0+30, e=issue
        let note: NostrEvent      // second 1 at t0+40, t=bug, t=swift
        var all: [NostrEvent] { [repo, issue, comment, reaction, note] }

        init() throws {
            store = try SQLiteEventStore()
            repo = listedAnnouncement(Keys.owner, createdAt: t0)
            issue = Keys.owner.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.owner, "repo")], ["t", "bug"], ["subject", "crash"]],
                                    content: "it crashes", createdAt: t0 + 10)
            comment = Keys.outsider.sign(kind: 1111, tags: [["E", issue.id], ["K", "1621"]], content: "same here", createdAt: t0 + 20)
            reaction = Keys.outsider.sign(kind: 7, tags: [["e", issue.id]], content: "+", createdAt: t0 + 30)
            note = Keys.second.sign(kind: 1, tags: [["t", "bug"], ["t", "swift"]], content: "note", createdAt: t0 + 40)
            for e in all { _ = try store.insert(e) }
        }

        func ids(_ filters: [Filter], maxLimit: Int = 500) throws -> [String] {
            try store.query(filters, maxLimit: maxLimit).map(\.id)
        }
    }

    @Test func emptyFilterMatchesEverythingNewestFirst() throws {
        let c = try Corpus()
        #expect(try c.ids([Filter()]) == [c.note, c.reaction, c.comment, c.issue, c.repo].map(\.id))
        #expect(try c.store.count([Filter()]) == 5)
    }

    @Test func queryByEachField() throws {
        let c = try Corpus()
        #expect(try c.ids([Filter(ids: [c.issue.id, c.note.id])]) == [c.note.id, c.issue.id])
        #expect(try c.ids([Filter(authors: [Keys.outsider.publicKey])]) == [c.reaction.id, c.comment.id])
        #expect(try c.ids([Filter(kinds: [1621, 30617])]) == [c.issue.id, c.repo.id])
        #expect(try c.ids([Filter(since: t0 + 30)]) == [c.note.id, c.reaction.id])
        #expect(try c.ids([Filter(until: t0 + 10)]) == [c.issue.id, c.repo.id])
        #expect(try c.ids([Filter(since: t0 + 10, until: t0 + 20)]) == [c.comment.id, c.issue.id])
        #expect(try c.ids([Filter(tags: ["a": [repoCoordinate(Keys.owner, "repo")]])]) == [c.issue.id])
        #expect(try c.ids([Filter(tags: ["E": [c.issue.id]])]) == [c.comment.id])
        #expect(try c.ids([Filter(tags: ["e": [c.issue.id]])]) == [c.reaction.id])
        #expect(try c.ids([Filter(tags: ["t": ["swift"]])]) == [c.note.id])
        #expect(try c.ids([Filter(tags: ["t": ["bug"]])]) == [c.note.id, c.issue.id])
        #expect(try c.ids([Filter(tags: ["d": ["repo"]])]) == [c.repo.id])
        // Upper-case single-letter tags are queryable too.
        #expect(try c.ids([Filter(tags: ["K": ["1621"]])]) == [c.comment.id])
    }

    @Test func fieldsCombineWithAnd() throws {
        let c = try Corpus()
        #expect(try c.ids([Filter(authors: [Keys.outsider.publicKey], kinds: [7])]) == [c.reaction.id])
        #expect(try c.ids([Filter(kinds: [1, 1621], tags: ["t": ["bug"]], since: t0 + 20)]) == [c.note.id])
        #expect(try c.ids([Filter(kinds: [1621], tags: ["t": ["bug"], "a": [repoCoordinate(Keys.owner, "repo")]])]) == [c.issue.id])
        #expect(try c.ids([Filter(kinds: [1621], tags: ["t": ["swift"], "a": [repoCoordinate(Keys.owner, "repo")]])]).isEmpty)
        #expect(try c.ids([Filter(authors: [Keys.third.publicKey])]).isEmpty)
    }

    @Test func emptyListsMatchNothing() throws {
        let c = try Corpus()
        for f in [Filter(ids: []), Filter(authors: []), Filter(kinds: []), Filter(tags: ["t": []]), Filter(since: t0 + 50, until: t0)] {
            #expect(try c.ids([f]).isEmpty)
            #expect(try c.store.count([f]) == 0)
            #expect(try c.store.idListing(for: f, maxItems: 10) == .items(StoredIDList()))
        }
        #expect(try c.ids([]).isEmpty)
        #expect(try c.store.count([]) == 0)
    }

    @Test func multipleFiltersUnionWithoutDuplicates() throws {
        let c = try Corpus()
        let filters = [Filter(kinds: [1621, 7]), Filter(tags: ["e": [c.issue.id]]), Filter(authors: [Keys.owner.publicKey])]
        // issue is matched by filters 1 and 3, reaction by 1 and 2, repo by 3.
        #expect(try c.ids(filters) == [c.reaction.id, c.issue.id, c.repo.id])
        #expect(try c.store.count(filters) == 3)
    }

    @Test func tiesAreOrderedByID() throws {
        let store = try SQLiteEventStore()
        let events = (0..<6).map { Keys.owner.sign(kind: 1, content: "tie \($0)", createdAt: t0 + Int64($0 % 2)) }
        for e in events { try #require(try store.insert(e) == .saved) }
        let expected = newestFirst(events)
        #expect(try store.query([Filter()], maxLimit: 100).map(\.id) == expected)
        // Same order when the union of several filters is merged.
        let split = [Filter(ids: Array(events.prefix(3)).map(\.id)), Filter(ids: Array(events.suffix(3)).map(\.id))]
        #expect(try store.query(split, maxLimit: 100).map(\.id) == expected)
    }

    @Test func perFilterLimitAndMaxLimitCap() throws {
        let c = try Corpus()
        #expect(try c.ids([Filter(limit: 2)]) == [c.note.id, c.reaction.id])
        #expect(try c.ids([Filter(limit: 0)]).isEmpty)
        // Each filter's limit applies to that filter only.
        #expect(try c.ids([Filter(authors: [Keys.owner.publicKey], limit: 1), Filter(authors: [Keys.outsider.publicKey], limit: 1)])
                == [c.reaction.id, c.issue.id])
        // maxLimit caps both explicit and absent limits.
        #expect(try c.ids([Filter(limit: 100)], maxLimit: 3) == [c.note.id, c.reaction.id, c.comment.id])
        #expect(try c.ids([Filter()], maxLimit: 1) == [c.note.id])
        // The limit keeps the newest matches, whatever the insertion order.
        #expect(try c.ids([Filter(kinds: [30617, 1621], limit: 1)]) == [c.issue.id])
    }

    @Test func countCountsMatches() throws {
        let c = try Corpus()
        #expect(try c.store.count([Filter(kinds: [1621, 1111])]) == 2)
        #expect(try c.store.count([Filter(tags: ["t": ["bug"]])]) == 2)
        #expect(try c.store.count([Filter(authors: [Keys.owner.publicKey]), Filter(tags: ["t": ["bug"]])]) == 3)
        // count ignores limit (NIP-45 counts every match).
        #expect(try c.store.count([Filter(limit: 1)]) == 5)
        #expect(try c.store.count([Filter(authors: [Keys.third.publicKey])]) == 0)
    }

    @Test func idListingIsAscendingAndIgnoresLimit() throws {
        let store = try SQLiteEventStore()
        var events = (0..<5).map { Keys.owner.sign(kind: 1, content: "n\($0)", createdAt: t0 + Int64($0 / 2)) }
        events.append(Keys.outsider.sign(kind: 1, content: "other author", createdAt: t0))
        for e in events { try #require(try store.insert(e) == .saved) }
        let mine = events.filter { $0.pubkey == Keys.owner.publicKey }
            .sorted { $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.id < $1.id }
        var expected = StoredIDList()
        for e in mine { expected.append(timestamp: UInt64(e.createdAt), id: Hex.decode(e.id)!) }

        let listing = try store.idListing(for: Filter(authors: [Keys.owner.publicKey], limit: 1), maxItems: 5)
        #expect(listing == .items(expected))
        guard case .items(let list) = listing else { return }
        #expect(list.count == 5)
        #expect(list.timestamps == [UInt64(t0), UInt64(t0), UInt64(t0 + 1), UInt64(t0 + 1), UInt64(t0 + 2)])
        #expect(Hex.encode(list.id(at: 0)) == mine[0].id)
        #expect(Hex.encode(list.id(at: 4)) == mine[4].id)
    }

    @Test func tagValuesListFirstValuesOfIndexedTagsByKind() throws {
        let store = try SQLiteEventStore()
        let issue = Keys.owner.sign(kind: 1621, tags: [["a", "30617:x:one"], ["a", "30617:x:two", "wss://hint"], ["a", "30617:x:one"], ["e", "ff"]],
                                    content: "", createdAt: t0)
        let patch = Keys.owner.sign(kind: 1617, tags: [["a", "30617:x:three"]], content: "", createdAt: t0 + 1)
        let note = Keys.owner.sign(kind: 1, tags: [["a", "30617:x:four"]], content: "", createdAt: t0 + 2)
        for e in [issue, patch, note] { try #require(try store.insert(e) == .saved) }
        let values = try store.tagValues(named: "a", ofKinds: [1617, 1621])
        #expect(Set(values.map { "\($0.eventID) \($0.value)" }) == [
            "\(issue.id) 30617:x:one", "\(issue.id) 30617:x:two", "\(patch.id) 30617:x:three",
        ])
        #expect(values.count == 3, "an event's repeated value is listed once")
        #expect(try store.tagValues(named: "a", ofKinds: []).isEmpty)
        #expect(try store.tagValues(named: "e", ofKinds: [1621]) == [TaggedValue(eventID: issue.id, value: "ff")])
    }

    @Test func unorderedIDListingHasTheSameItemsAsTheOrderedOne() throws {
        let store = try SQLiteEventStore()
        var events = (0..<6).map { Keys.owner.sign(kind: 1, tags: [["t", "x"]], content: "n\($0)", createdAt: t0 + Int64(5 - $0 / 2)) }
        events.append(Keys.outsider.sign(kind: 1, tags: [["t", "y"]], content: "other", createdAt: t0))
        for e in events { try #require(try store.insert(e) == .saved) }
        let filter = Filter(tags: ["t": ["x"]])
        guard case .items(let ordered) = try store.idListing(for: filter, maxItems: 10),
              case .items(let unordered) = try store.idListing(for: filter, maxItems: 10, ordered: false) else {
            Issue.record("expected items")
            return
        }
        func pairs(_ l: StoredIDList) -> [String] { (0..<l.count).map { "\(l.timestamps[$0]):\(Hex.encode(l.id(at: $0)))" } }
        #expect(unordered.count == 6)
        #expect(Set(pairs(unordered)) == Set(pairs(ordered)))
        #expect(pairs(ordered) == pairs(ordered).sorted())
        #expect(try store.idListing(for: filter, maxItems: 5, ordered: false) == .tooMany(limit: 5))
    }

    @Test func idListingTooMany() throws {
        let store = try SQLiteEventStore()
        for i in 0..<4 { _ = try store.insert(Keys.owner.sign(kind: 1, content: "n\(i)", createdAt: t0 + Int64(i))) }
        #expect(try store.idListing(for: Filter(), maxItems: 3) == .tooMany(limit: 3))
        #expect(try store.idListing(for: Filter(), maxItems: 0) == .tooMany(limit: 0))
        guard case .items(let list) = try store.idListing(for: Filter(), maxItems: 4) else {
            Issue.record("expected items at exactly maxItems")
            return
        }
        #expect(list.count == 4)
        #expect(list.timestamps == (0..<4).map { UInt64(t0) + UInt64($0) })
    }

    @Test func announcementsByIdentifier() throws {
        let store = try SQLiteEventStore()
        let a = listedAnnouncement(Keys.owner, d: "repo")
        let b = unlistedAnnouncement(Keys.maintainer, d: "repo")
        let other = listedAnnouncement(Keys.owner, d: "other")
        let state = repoState(Keys.owner, d: "repo")
        for e in [a, b, other, state] { try #require(try store.insert(e) == .saved) }
        #expect(Set(try store.announcements(identifier: "repo").map(\.id)) == [a.id, b.id])
        #expect(try store.announcements(identifier: "other") == [other])
        #expect(try store.announcements(identifier: "none").isEmpty)
    }

    @Test func isReferencedLooksAtFirstTagValues() throws {
        let store = try SQLiteEventStore()
        let issue = Keys.owner.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.owner, "repo"), "wss://hint"], ["e", unknownID],
                                                      ["clone", "https://x/y.git"]], createdAt: t0)
        try #require(try store.insert(issue) == .saved)
        #expect(try store.isReferenced(tagNames: ["a", "A", "q"], values: [repoCoordinate(Keys.owner, "repo")]))
        #expect(try store.isReferenced(tagNames: ["A", "q"], values: [repoCoordinate(Keys.owner, "repo")]) == false)
        #expect(try store.isReferenced(tagNames: ["e"], values: ["nope", unknownID]))
        #expect(try store.isReferenced(tagNames: ["a"], values: ["wss://hint"]) == false)
        #expect(try store.isReferenced(tagNames: ["clone"], values: ["https://x/y.git"]) == false)
        #expect(try store.isReferenced(tagNames: [], values: [unknownID]) == false)
        #expect(try store.isReferenced(tagNames: ["e"], values: []) == false)
    }
}

@Suite("SQLiteEventStore: subscriptions, metadata, persistence")
struct SQLiteEventStoreLifecycleTests {
    @Test func subscribeDeliversSavedEventsOnceInOrder() async throws {
        let store = try SQLiteEventStore()
        let before = Keys.owner.sign(kind: 1, content: "before subscribing", createdAt: t0 - 1)
        _ = try store.insert(before)
        let stream = store.subscribe()
        let first = Keys.owner.sign(kind: 10317, content: "v1", createdAt: t0)
        let older = Keys.owner.sign(kind: 10317, content: "v0", createdAt: t0 - 10)
        let ephemeral = Keys.owner.sign(kind: 20001, createdAt: t0)
        let second = Keys.outsider.sign(kind: 1, content: "second", createdAt: t0)
        #expect(try store.insert(first) == .saved)
        #expect(try store.insert(first) == .duplicate)
        #expect(try store.insert(older) == .superseded)
        #expect(try store.insert(before) == .duplicate)
        #expect(try store.insert(ephemeral) == .ephemeral)
        #expect(try store.insert(second) == .saved)
        store.finishSubscribers()
        var received: [NostrEvent] = []
        for await e in stream { received.append(e) }
        #expect(received == [first, ephemeral, second])
    }

    @Test func everySubscriberGetsEachEvent() async throws {
        let store = try SQLiteEventStore()
        let s1 = store.subscribe()
        let s2 = store.subscribe()
        let e = Keys.owner.sign(kind: 1, content: "fan-out", createdAt: t0)
        _ = try store.insert(e)
        var it1 = s1.makeAsyncIterator()
        var it2 = s2.makeAsyncIterator()
        #expect(await it1.next() == e)
        #expect(await it2.next() == e)
        store.finishSubscribers()
        #expect(await it1.next() == nil)
    }

    @Test func boundedSubscriberIsFinishedWhenItFallsBehind() async throws {
        let store = try SQLiteEventStore()
        let bounded = store.subscribe(bufferLimit: 2)
        let unbounded = store.subscribe()
        let events = (0..<3).map { Keys.owner.sign(kind: 1, content: "e\($0)", createdAt: t0 + Int64($0)) }
        for e in events { #expect(try store.insert(e) == .saved) }
        var received: [NostrEvent] = []
        for await e in bounded { received.append(e) } // ends by itself: the third event overflowed
        #expect(received == Array(events.prefix(2)))
        store.finishSubscribers()
        var all: [NostrEvent] = []
        for await e in unbounded { all.append(e) }
        #expect(all == events)
    }

    /// The per-relay item sets as `[relay: [value: level]]` (a listed relay without items: empty).
    private func relayItems(_ store: SQLiteEventStore) throws -> [String: [String: Int]] {
        var out: [String: [String: Int]] = [:]
        try store.forEachRelayItem { relay, item in
            out[relay, default: [:]] = out[relay] ?? [:]
            if let item { out[relay]![item.value] = item.level }
        }
        return out
    }

    @Test func relayItemChangesApplyInOrderWithTheMetadataInOneTransaction() throws {
        let store = try SQLiteEventStore()
        try store.writeRelayItems([
            .add(relay: "wss://a", items: [RelayItem(value: "r1", level: 1), RelayItem(value: "e1", level: 0)]),
            .add(relay: "wss://b", items: []),
        ], metadata: ["state": "one"])
        #expect(try relayItems(store) == ["wss://a": ["r1": 1, "e1": 0], "wss://b": [:]])
        #expect(try store.metadata("state") == "one")
        // A held item keeps the higher level; clear keeps the relay listed; remove forgets it.
        try store.writeRelayItems([
            .add(relay: "wss://a", items: [RelayItem(value: "r1", level: 2), RelayItem(value: "e2", level: 0)]),
            .add(relay: "wss://a", items: [RelayItem(value: "r1", level: 1)]),
            .clear(relay: "wss://b"),
            .add(relay: "wss://c", items: [RelayItem(value: "e3", level: 0)]),
            .clear(relay: "wss://c"),
        ], metadata: ["state": nil])
        #expect(try relayItems(store) == ["wss://a": ["r1": 2, "e1": 0, "e2": 0], "wss://b": [:], "wss://c": [:]])
        #expect(try store.metadata("state") == nil)
        try store.writeRelayItems([.remove(relay: "wss://a")], metadata: [:])
        #expect(try relayItems(store) == ["wss://b": [:], "wss://c": [:]])
        try store.writeRelayItems([.removeAll, .add(relay: "wss://d", items: [RelayItem(value: "e4", level: 0)])], metadata: [:])
        #expect(try relayItems(store) == ["wss://d": ["e4": 0]])
    }

    @Test func relayItemsSurviveReopening() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-items-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        do {
            let store = try SQLiteEventStore(path: path)
            try store.writeRelayItems([.add(relay: "wss://a", items: [RelayItem(value: "e1", level: 0)])], metadata: [:])
        }
        #expect(try relayItems(SQLiteEventStore(path: path)) == ["wss://a": ["e1": 0]])
    }

    @Test func metadataSetGetRemove() throws {
        let store = try SQLiteEventStore()
        #expect(try store.metadata("sync.last") == nil)
        try store.setMetadata("sync.last", "1700000000")
        try store.setMetadata("other", "x")
        #expect(try store.metadata("sync.last") == "1700000000")
        try store.setMetadata("sync.last", "1700000600")
        #expect(try store.metadata("sync.last") == "1700000600")
        try store.setMetadata("sync.last", nil)
        #expect(try store.metadata("sync.last") == nil)
        #expect(try store.metadata("other") == "x")
        // Removing a missing key is not an error.
        try store.setMetadata("never-set", nil)
        #expect(try store.totalCount() == 0)
    }

    @Test func fileBackedStorePersistsAcrossReopen() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.sqlite").path
        let repo = listedAnnouncement(Keys.owner, createdAt: t0)
        let note = Keys.owner.sign(kind: 1, tags: [["a", repoCoordinate(Keys.owner, "repo")]], content: "n", createdAt: t0 + 5)
        let doomed = Keys.owner.sign(kind: 1, content: "doomed", createdAt: t0 + 6)
        do {
            let store = try SQLiteEventStore(path: path)
            #expect(try store.insert(repo) == .saved)
            #expect(try store.insert(note) == .saved)
            #expect(try store.insert(doomed) == .saved)
            #expect(try store.insert(Keys.owner.sign(kind: 5, tags: [["e", doomed.id]], createdAt: t0 + 7)) == .saved)
            try store.setMetadata("cursor", "42")
        }
        #expect(FileManager.default.fileExists(atPath: path))
        let reopened = try SQLiteEventStore(path: path)
        #expect(try reopened.totalCount() == 3)
        #expect(try reopened.query([Filter(tags: ["a": [repoCoordinate(Keys.owner, "repo")]])], maxLimit: 10) == [note])
        #expect(try reopened.metadata("cursor") == "42")
        // Replaceable, duplicate and deletion state survive too.
        #expect(try reopened.insert(listedAnnouncement(Keys.owner, createdAt: t0 - 1)) == .superseded)
        #expect(try reopened.insert(note) == .duplicate)
        #expect(try reopened.insert(doomed) == .deleted)
    }

    @Test func openingAnUnwritablePathFails() throws {
        #expect(throws: StoreError.self) {
            _ = try SQLiteEventStore(path: "/nonexistent-dir-\(UUID().uuidString)/events.sqlite")
        }
    }
}
