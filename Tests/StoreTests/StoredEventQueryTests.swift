import Foundation
import GRDB
import Nostr
import Testing
@testable import Store

/// Ids in NIP-01 order: newest first, ties by id.
private func newestFirst(_ events: [NostrEvent]) -> [String] {
    events.sorted { $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $0.id < $1.id }.map(\.id)
}

@Suite("SQLiteEventStore: served reads (stored JSON, index reads, pages)")
struct StoredEventQueryTests {
    /// A corpus with many equal timestamps, several kinds, authors and tags (some tags with a
    /// second value that must not match), stored in a fresh store.
    struct Corpus {
        let store: SQLiteEventStore
        let events: [NostrEvent]
        let keys = [Keys.owner, Keys.maintainer, Keys.outsider]
        let roots = ["r0", "r1", "r2", "r3"].map { String(repeating: $0, count: 32) }

        init(count: Int = 240) throws {
            store = try SQLiteEventStore()
            var events: [NostrEvent] = []
            for i in 0..<count {
                let kinds = [1621, 1111, 1630, 1631, 1632, 1633, 1]
                var tags: [[String]] = [["e", roots[i % 4], roots[(i + 1) % 4]], ["t", "t\(i % 3)"]]
                if i % 5 == 0 { tags.append(["p", keys[(i / 5) % 3].publicKey]) }
                let event = keys[i % 3].sign(kind: kinds[(i * 7) % kinds.count], tags: tags, content: "event \(i)",
                                             createdAt: t0 + Int64(i / 6))
                events.append(event)
            }
            for e in events { try #require(try store.insert(e) == .saved) }
            self.events = events
        }

        /// NIP-01 by brute force: each filter's newest `limit` matches, the union newest first.
        func expected(_ filters: [Filter], maxLimit: Int) -> [String] {
            var chosen = Set<String>()
            for f in filters {
                let limit = max(0, min(f.limit ?? maxLimit, maxLimit))
                for id in newestFirst(events.filter { f.matches($0) }).prefix(limit) { chosen.insert(id) }
            }
            return newestFirst(events.filter { chosen.contains($0.id) })
        }

        /// Every page of a served read, as stored JSON texts.
        func servedPages(_ filters: [Filter], maxLimit: Int, pageSize: Int) throws -> [[String]] {
            var cursor = StoredEventCursor(filters: filters, maxLimit: maxLimit)
            var pages: [[String]] = []
            while !cursor.isFinished {
                pages.append(try store.readStoredEvents(&cursor, maxEvents: pageSize))
                try #require(pages.count < 1_000)
            }
            return pages
        }
    }

    static func shapes(_ c: Corpus) -> [[Filter]] {
        let pk = c.keys.map(\.publicKey)
        return [
            [Filter(kinds: [1621], limit: 30)],
            [Filter(kinds: [1630, 1631, 1632, 1633], limit: 25)],
            [Filter(kinds: [1630, 1631, 1632, 1633, 1621, 1111, 1, 7, 9], limit: 50)],
            [Filter(authors: [pk[0]], limit: 40)],
            [Filter(authors: pk, kinds: [1111, 1], limit: 33)],
            [Filter(tags: ["e": [c.roots[1]]], limit: 20)],
            [Filter(tags: ["e": [c.roots[0], c.roots[2]]])],
            [Filter(tags: ["e": c.roots + (0..<8).map { String(repeating: "f\($0)", count: 32) }], limit: 70)],
            [Filter(kinds: [1111], tags: ["e": [c.roots[3]], "t": ["t1", "t2"]])],
            [Filter(authors: [pk[1]], tags: ["p": [pk[1], pk[2]]], since: t0 + 5, until: t0 + 30)],
            [Filter(ids: c.events.enumerated().filter { $0.offset % 6 == 1 }.map(\.element.id), limit: 30)],
            [Filter(since: t0 + 10, until: t0 + 12)],
            [Filter(until: t0 + 20, limit: 9)],
            [Filter(kinds: [1621], limit: 7), Filter(tags: ["t": ["t0"]], limit: 11), Filter(authors: [pk[2]], limit: 5)],
            [Filter(kinds: [1631], since: t0 + 3, until: t0 + 3), Filter(kinds: [1631, 1632], since: t0 + 3, until: t0 + 4)],
            [Filter(kinds: [1621], limit: 0), Filter(kinds: []), Filter(ids: [unknownID])],
        ]
    }

    @Test("each filter shape: the newest matches per limit, their union once each, newest first with ties by id")
    func queriesMatchBruteForce() throws {
        let c = try Corpus()
        for filters in Self.shapes(c) {
            for maxLimit in [500, 12] {
                let expected = c.expected(filters, maxLimit: maxLimit)
                #expect(try c.store.query(filters, maxLimit: maxLimit).map(\.id) == expected, "\(filters)")
            }
        }
    }

    @Test("pages of any size concatenate to the stored JSON of the query's events, in order")
    func pagesConcatenateToTheQuery() throws {
        let c = try Corpus()
        let stored = Dictionary(uniqueKeysWithValues: try c.store.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, json FROM events").map { row -> (String, String) in
                (Hex.encode(Array(row[0] as Data)), row[1])
            }
        })
        for filters in Self.shapes(c) {
            let expected = c.expected(filters, maxLimit: 500).map { stored[$0]! }
            for pageSize in [1, 7, 256] {
                let pages = try c.servedPages(filters, maxLimit: 500, pageSize: pageSize)
                #expect(pages.flatMap { $0 } == expected, "\(filters) in pages of \(pageSize)")
                #expect(pages.dropLast().allSatisfy { $0.count == pageSize })
            }
        }
    }

    @Test("events are served as the JSON text they were stored with, not re-serialised")
    func servesTheStoredText() throws {
        let store = try SQLiteEventStore()
        let event = Keys.owner.sign(kind: 1621, tags: [["t", "x"]], content: "é / \u{1}", createdAt: t0)
        try #require(try store.insert(event) == .saved)
        // Another serialiser's spelling of the same event (key order, spacing, escapes).
        let spelled = #"{"kind":1621, "id":"\#(event.id)","pubkey":"\#(event.pubkey)","created_at":\#(t0),"tags":[["t","x"]],"content":"\u00e9 \/ \u0001","sig":"\#(event.sig)"}"#
        try store.writer.write { db in try db.execute(sql: "UPDATE events SET json = ?", arguments: [spelled]) }
        var cursor = StoredEventCursor(filters: [Filter(kinds: [1621])], maxLimit: 500)
        #expect(try store.readStoredEvents(&cursor, maxEvents: 10) == [spelled])
        #expect(cursor.isFinished)
    }

    @Test("a page is read in one short read: a write between pages is seen by the next page (keyset, no snapshot held)")
    func pagesAreSeparateReads() throws {
        let store = try SQLiteEventStore()
        let events = (0..<10).map { Keys.owner.sign(kind: 1, content: "n\($0)", createdAt: t0 + Int64($0)) }
        for e in events { try #require(try store.insert(e) == .saved) }
        var cursor = StoredEventCursor(filters: [Filter(kinds: [1])], maxLimit: 500)
        let first = try store.readStoredEvents(&cursor, maxEvents: 3)
        #expect(first == events.reversed().prefix(3).map(\.jsonText))
        // Older than the page boundary: the next pages continue below the last row served.
        let late = Keys.second.sign(kind: 1, content: "late", createdAt: t0 + 2)
        try #require(try store.insert(late) == .saved)
        var rest: [String] = []
        while !cursor.isFinished { rest += try store.readStoredEvents(&cursor, maxEvents: 3) }
        let tail = newestFirst(Array(events.prefix(7)) + [late])
        #expect(rest == tail.map { id in (events + [late]).first { $0.id == id }!.jsonText })
    }

    /// `EXPLAIN QUERY PLAN` lines of `sql`.
    static func plan(_ db: Database, _ sql: String, _ arguments: [DatabaseValue]) throws -> [String] {
        try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(arguments)).map { $0["detail"] as String }
    }

    /// A full scan of a table (with or without an index to walk it in order); reading back a
    /// subquery's own result is not one.
    static func isFullScan(_ line: String) -> Bool {
        line.hasPrefix("SCAN ") && !line.hasPrefix("SCAN CONSTANT ROW") && !line.hasPrefix("SCAN (subquery")
    }

    @Test("served filter shapes read through indexes: no full table scan for kinds, authors, tag and ids filters with a limit")
    func servedShapesUseIndexes() throws {
        let c = try Corpus(count: 30)
        let pk = c.keys.map(\.publicKey)
        let shapes: [Filter] = [
            Filter(kinds: [1621], limit: 500),
            Filter(kinds: [1630, 1631, 1632, 1633], limit: 500),
            Filter(kinds: Array(1600...1640), limit: 500),
            Filter(authors: [pk[0]], limit: 500),
            Filter(authors: pk, limit: 500),
            Filter(authors: (1...20).map { Keys.pair(UInt8($0)).publicKey }, limit: 500),
            Filter(authors: [pk[0]], kinds: [1621, 1617], limit: 100),
            Filter(tags: ["e": [c.roots[0]]], limit: 500),
            Filter(tags: ["a": ["30617:\(pk[0]):repo"]], limit: 500),
            Filter(tags: ["e": (0..<30).map { String(repeating: "\($0 % 10)a", count: 32) }], limit: 500),
            Filter(kinds: [1111], tags: ["E": [c.roots[0]]], limit: 500),
            Filter(kinds: [1630, 1631], tags: ["e": [c.roots[1]], "p": [pk[1]]], since: t0, until: t0 + 100, limit: 50),
            Filter(ids: [c.events[0].id], limit: 500),
            Filter(ids: c.events.map(\.id), limit: 500),
        ]
        try c.store.writer.read { db in
            for filter in shapes {
                let merge = StoredEventMerge(filters: [filter], maxLimit: 500, pageSize: 256)
                #expect(!merge.streams.isEmpty)
                for stream in merge.streams {
                    let args = stream.arguments + [stream.lowerBound.databaseValue, stream.upperBound.databaseValue, stream.upperBound.databaseValue, stream.lastID.databaseValue, 10.databaseValue]
                    let lines = try Self.plan(db, stream.sql, args)
                    #expect(!lines.contains(where: Self.isFullScan), "\(filter): \(lines)")
                    #expect(lines.contains { $0.hasPrefix("SEARCH ") }, "\(filter): \(lines)")
                }
                let count = SQLiteStoredEvents.matchingSeqs(filter)
                let countLines = try Self.plan(db, "SELECT COUNT(*) FROM (\(count.sql))", count.arguments)
                #expect(!countLines.contains(where: Self.isFullScan), "COUNT \(filter): \(countLines)")
            }
        }
    }

    @Test("COUNT of kinds, authors, one tag or ids alone reads only a covering index")
    func countUsesCoveringIndexes() throws {
        let c = try Corpus(count: 30)
        let covering: [Filter] = [
            Filter(kinds: [1621]), Filter(kinds: [1630, 1631, 1632, 1633], since: t0), Filter(authors: [c.keys[0].publicKey]),
            Filter(authors: c.keys.map(\.publicKey), until: t0 + 3), Filter(tags: ["e": [c.roots[0]]]),
            Filter(tags: ["e": c.roots], since: t0 + 1), Filter(ids: c.events.prefix(3).map(\.id)),
        ]
        try c.store.writer.read { db in
            for filter in covering {
                let (sql, args) = SQLiteStoredEvents.matchingSeqs(filter)
                let lines = try Self.plan(db, "SELECT COUNT(*) FROM (\(sql))", args)
                // A covering index, or the tag table's own key (it is a WITHOUT ROWID table: its primary key holds every column).
                #expect(lines.contains { $0.contains("COVERING INDEX") || $0.contains("USING PRIMARY KEY") }, "\(filter): \(lines)")
                #expect(!lines.contains { $0.contains("INTEGER PRIMARY KEY") }, "\(filter) reads event rows: \(lines)")
            }
        }
        for filters in Self.shapes(c) {
            #expect(try c.store.count(filters) == c.expected(filters.map { var f = $0; f.limit = nil; return f }, maxLimit: Int.max).count,
                    "\(filters)")
        }
    }
}
