import Foundation
import GRDB
import Nostr

/// One stored event as read for serving: its sort key and its JSON exactly as stored.
struct StoredEventRow: Sendable, Equatable {
    let createdAt: Int64
    let id: Data
    let json: String

    /// NIP-01 order: newest first, ties by id ascending.
    func precedes(_ other: StoredEventRow) -> Bool {
        createdAt != other.createdAt ? createdAt > other.createdAt : id.lexicographicallyPrecedes(other.id)
    }

    func hasSameKey(as other: StoredEventRow) -> Bool { createdAt == other.createdAt && id == other.id }
}

/// One index read of a REQ: the events of one filter with one value of its driving field
/// (one kind, one author, one tag value), or with the whole list where the list is long or
/// the field is `ids`, newest first. Read in chunks by keyset (`created_at`, `id`): each chunk
/// is a short query starting after the last row of the previous one, so nothing holds a read
/// transaction while the client is being written to.
struct StoredEventStream: Sendable, Equatable {
    /// Index of the stream's filter in ``StoredEventMerge/remaining``.
    let filter: Int
    /// `SELECT created_at, id, json ... LIMIT ?`; its last five parameters are the lower
    /// bound, the upper bound, the upper bound again and the last id read (ties), the limit.
    let sql: String
    let arguments: [DatabaseValue]
    /// Whether the SQL text is one of a few fixed shapes (kept in the connection's statement cache).
    let cacheable: Bool
    let lowerBound: Int64
    var upperBound: Int64
    /// Rows with `created_at == upperBound` come only after this id (empty: all of them).
    var lastID = Data()
    /// At most this many rows are ever needed (the filter's limit).
    let cap: Int
    /// Rows asked for by the next read; it doubles per read up to `largestChunk` (a page).
    var chunk: Int
    let largestChunk: Int
    var fetched = 0
    var exhausted = false
    var buffer: [StoredEventRow] = []
    var position = 0

    var head: StoredEventRow? { position < buffer.count ? buffer[position] : nil }

    mutating func fill(_ db: Database) throws {
        buffer.removeAll(keepingCapacity: true)
        position = 0
        let want = min(chunk, cap - fetched)
        if exhausted || want <= 0 {
            exhausted = true
            return
        }
        var values = arguments
        values.append(lowerBound.databaseValue)
        values.append(upperBound.databaseValue)
        values.append(upperBound.databaseValue)
        values.append(lastID.databaseValue)
        values.append(want.databaseValue)
        let statement = cacheable ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        let rows = try Row.fetchCursor(statement, arguments: StatementArguments(values))
        while let row = try rows.next() {
            buffer.append(StoredEventRow(createdAt: row[0], id: row[1], json: row[2]))
        }
        fetched += buffer.count
        if buffer.count < want || fetched >= cap { exhausted = true }
        if let last = buffer.last {
            upperBound = last.createdAt
            lastID = last.id
        }
        chunk = min(chunk * 2, largestChunk)
    }
}

/// The k-way merge of a REQ's index reads: every filter's top `limit` events, their union
/// newest first, each event once.
struct StoredEventMerge: Sendable, Equatable {
    /// A driving list up to this long is read value by value (each read in index order, then
    /// merged); a longer one is one query over the whole list, sorted by SQLite.
    static let mostValuesReadOneByOne = 8
    static let smallestChunk = 16

    var streams: [StoredEventStream] = []
    /// Events each filter may still contribute.
    var remaining: [Int] = []

    init(filters: [Filter], maxLimit: Int, pageSize: Int) {
        for filter in filters where !filter.isEmptyByConstruction {
            let limit = max(0, min(filter.limit ?? maxLimit, maxLimit))
            if limit == 0 { continue }
            let index = remaining.count
            remaining.append(limit)
            streams += SQLiteStoredEvents.streams(for: filter, index: index, limit: limit, pageSize: pageSize)
        }
    }

    /// The next page of at most `maxEvents` events' JSON (empty once `finished`).
    mutating func next(_ db: Database, maxEvents: Int, finished: inout Bool) throws -> [String] {
        var out: [String] = []
        var touched: [Int] = []
        while out.count < maxEvents {
            var best = -1
            for i in streams.indices where remaining[streams[i].filter] > 0 {
                if streams[i].head == nil {
                    if streams[i].exhausted { continue }
                    try streams[i].fill(db)
                }
                guard let head = streams[i].head else { continue }
                if best < 0 || head.precedes(streams[best].head!) { best = i }
            }
            if best < 0 {
                finished = true
                streams.removeAll()
                break
            }
            let key = streams[best].head!
            // Equal keys sit at the heads of their streams (each is ordered and none precedes
            // `key`), all at `best` or after it. An event counts once against each filter.
            var emit = false
            touched.removeAll(keepingCapacity: true)
            for i in best..<streams.count {
                let f = streams[i].filter
                guard remaining[f] > 0, let head = streams[i].head, head.hasSameKey(as: key) else { continue }
                streams[i].position += 1
                if !touched.contains(f) {
                    touched.append(f)
                    remaining[f] -= 1
                    emit = true
                }
            }
            if emit { out.append(key.json) }
        }
        return out
    }
}

/// How a REQ's filters become SQL (index reads, and counts on covering indexes).
enum SQLiteStoredEvents {
    /// The field whose index drives a filter's read.
    enum Driver {
        case ids([Data])
        case tag(String, [String])
        case authors([Data])
        case kinds([Int])
        case none
    }

    static func hexBlobs(_ values: [String]) -> [Data] { values.map { Data(Hex.decode($0) ?? []) } }

    static func unique<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        return values.filter { seen.insert($0).inserted }
    }

    /// The most selective indexed field: ids, then the tag with the fewest values, authors, kinds.
    static func driver(of filter: Filter) -> Driver {
        if let ids = filter.ids { return .ids(unique(hexBlobs(ids))) }
        if let name = filter.tags.keys.min(by: { a, b in
            let (x, y) = (filter.tags[a]!.count, filter.tags[b]!.count)
            return x != y ? x < y : a < b
        }) {
            return .tag(name, unique(filter.tags[name]!))
        }
        if let authors = filter.authors { return .authors(unique(hexBlobs(authors))) }
        if let kinds = filter.kinds { return .kinds(unique(kinds)) }
        return .none
    }

    /// Conditions on `e` (events) for every field except the driving one.
    static func otherConditions(_ filter: Filter, driver: Driver) -> (sql: String, arguments: [DatabaseValue]) {
        var parts: [String] = []
        var args: [DatabaseValue] = []
        var drivingTag: String?
        var drivesAuthors = false
        var drivesKinds = false
        switch driver {
        case .ids: break
        case .tag(let name, _): drivingTag = name
        case .authors: drivesAuthors = true
        case .kinds: drivesKinds = true
        case .none: break
        }
        if let authors = filter.authors, !drivesAuthors {
            parts.append("e.pubkey IN (\(SQLiteEventStore.placeholders(authors.count)))")
            args += hexBlobs(authors).map(\.databaseValue)
        }
        if let kinds = filter.kinds, !drivesKinds {
            parts.append("e.kind IN (\(SQLiteEventStore.placeholders(kinds.count)))")
            args += kinds.map(\.databaseValue)
        }
        for name in filter.tags.keys.sorted() where name != drivingTag {
            let values = filter.tags[name]!
            parts.append("EXISTS (SELECT 1 FROM tags AS x WHERE x.event_seq = e.seq AND x.name = ? AND x.value IN (\(SQLiteEventStore.placeholders(values.count))))")
            args.append(name.databaseValue)
            args += values.map(\.databaseValue)
        }
        return (parts.map { " AND " + $0 }.joined(), args)
    }

    /// The index reads of one filter.
    static func streams(for filter: Filter, index: Int, limit: Int, pageSize: Int) -> [StoredEventStream] {
        let driver = driver(of: filter)
        let (rest, restArgs) = otherConditions(filter, driver: driver)
        // Rows are read ahead by at most about a page per index read.
        let page = max(1, pageSize)
        let lower = filter.since ?? Int64.min
        let upper = filter.until ?? Int64.max
        func stream(from: String, condition: String, arguments: [DatabaseValue], timestamp: String, chunk: Int) -> StoredEventStream {
            let sql = """
                SELECT e.created_at, e.id, e.json FROM \(from) WHERE \(condition)\(rest) \
                AND \(timestamp) >= ? AND \(timestamp) <= ? AND (\(timestamp) < ? OR e.id > ?) \
                ORDER BY \(timestamp) DESC, e.id ASC LIMIT ?
                """
            return StoredEventStream(filter: index, sql: sql, arguments: arguments + restArgs, cacheable: restArgs.isEmpty && !condition.contains(","),
                                     lowerBound: lower, upperBound: upper, cap: limit, chunk: max(1, min(chunk, limit)),
                                     largestChunk: max(1, page))
        }
        // One query for a whole list: SQLite sorts its matches, so read them all at once.
        func whole(from: String, condition: String, arguments: [DatabaseValue]) -> [StoredEventStream] {
            [stream(from: from, condition: condition, arguments: arguments, timestamp: "e.created_at", chunk: limit)]
        }
        func oneByOne<T>(_ values: [T], _ make: (T, Int) -> StoredEventStream) -> [StoredEventStream] {
            let chunk = values.count == 1 ? page : min(page, max(StoredEventMerge.smallestChunk, page / values.count))
            return values.map { make($0, chunk) }
        }
        let small = StoredEventMerge.mostValuesReadOneByOne
        switch driver {
        case .ids(let ids):
            return whole(from: "events AS e", condition: "e.id IN (\(SQLiteEventStore.placeholders(ids.count)))",
                         arguments: ids.map(\.databaseValue))
        case .tag(let name, let values) where values.count <= small:
            return oneByOne(values) { value, chunk in
                stream(from: "tags AS t CROSS JOIN events AS e ON e.seq = t.event_seq", condition: "t.name = ? AND t.value = ?",
                       arguments: [name.databaseValue, value.databaseValue], timestamp: "t.created_at", chunk: chunk)
            }
        case .tag(let name, let values):
            return whole(from: "events AS e NOT INDEXED",
                         condition: "e.seq IN (SELECT event_seq FROM tags WHERE name = ? AND value IN (\(SQLiteEventStore.placeholders(values.count))))",
                         arguments: [name.databaseValue] + values.map(\.databaseValue))
        case .authors(let authors) where authors.count <= small:
            return oneByOne(authors) { author, chunk in
                stream(from: "events AS e INDEXED BY events_pubkey_created", condition: "e.pubkey = ?",
                       arguments: [author.databaseValue], timestamp: "e.created_at", chunk: chunk)
            }
        case .authors(let authors):
            return whole(from: "events AS e INDEXED BY events_pubkey_created",
                         condition: "e.pubkey IN (\(SQLiteEventStore.placeholders(authors.count)))", arguments: authors.map(\.databaseValue))
        case .kinds(let kinds) where kinds.count <= small:
            return oneByOne(kinds) { kind, chunk in
                stream(from: "events AS e INDEXED BY events_kind_created", condition: "e.kind = ?",
                       arguments: [kind.databaseValue], timestamp: "e.created_at", chunk: chunk)
            }
        case .kinds(let kinds):
            return whole(from: "events AS e INDEXED BY events_kind_created",
                         condition: "e.kind IN (\(SQLiteEventStore.placeholders(kinds.count)))", arguments: kinds.map(\.databaseValue))
        case .none:
            return [stream(from: "events AS e INDEXED BY events_created", condition: "1", arguments: [], timestamp: "e.created_at",
                           chunk: page)]
        }
    }

    /// Reads the next page of `cursor` on `db`.
    static func read(_ db: Database, _ cursor: inout StoredEventCursor, maxEvents: Int) throws -> [String] {
        if cursor.isFinished { return [] }
        var merge = cursor.merge ?? StoredEventMerge(filters: cursor.filters, maxLimit: cursor.maxLimit, pageSize: maxEvents)
        cursor.merge = nil  // one copy of the buffers while they change
        var finished = false
        let page = try merge.next(db, maxEvents: max(1, maxEvents), finished: &finished)
        if finished { cursor.finish() } else { cursor.merge = merge }
        return page
    }

    /// Every matching event at once, parsed (the store's `query`).
    static func query(_ db: Database, _ filters: [Filter], maxLimit: Int) throws -> [NostrEvent] {
        var cursor = StoredEventCursor(filters: filters, maxLimit: maxLimit)
        var events: [NostrEvent] = []
        while !cursor.isFinished {
            for json in try read(db, &cursor, maxEvents: 1024) {
                do throws(EventValidationError) { events.append(try NostrEvent(jsonText: json)) } catch { throw StoreError.corruptRow(error.message) }
            }
        }
        return events
    }

    // MARK: - COUNT

    /// `SELECT` of the `seq` of every event matching `filter`, on the driving field's index
    /// (covering when the filter has no other field).
    static func matchingSeqs(_ filter: Filter) -> (sql: String, arguments: [DatabaseValue]) {
        let driver = driver(of: filter)
        var (rest, args) = otherConditions(filter, driver: driver)
        var bounds = ""
        var boundArgs: [DatabaseValue] = []
        func addBounds(_ column: String) {
            if let since = filter.since { bounds += " AND \(column) >= ?"; boundArgs.append(since.databaseValue) }
            if let until = filter.until { bounds += " AND \(column) <= ?"; boundArgs.append(until.databaseValue) }
        }
        let ph = SQLiteEventStore.placeholders
        switch driver {
        case .ids(let ids):
            addBounds("e.created_at")
            return ("SELECT e.seq FROM events AS e WHERE e.id IN (\(ph(ids.count)))\(rest)\(bounds)", ids.map(\.databaseValue) + args + boundArgs)
        case .tag(let name, let values):
            addBounds("t.created_at")
            let distinct = values.count > 1 ? "DISTINCT " : ""
            let from = rest.isEmpty ? "tags AS t" : "tags AS t CROSS JOIN events AS e ON e.seq = t.event_seq"
            args = [name.databaseValue] + values.map(\.databaseValue) + boundArgs + args
            return ("SELECT \(distinct)t.event_seq FROM \(from) WHERE t.name = ? AND t.value IN (\(ph(values.count)))\(bounds)\(rest)", args)
        case .authors(let authors):
            addBounds("e.created_at")
            return ("SELECT e.seq FROM events AS e INDEXED BY events_pubkey_created WHERE e.pubkey IN (\(ph(authors.count)))\(bounds)\(rest)",
                    authors.map(\.databaseValue) + boundArgs + args)
        case .kinds(let kinds):
            addBounds("e.created_at")
            return ("SELECT e.seq FROM events AS e INDEXED BY events_kind_created WHERE e.kind IN (\(ph(kinds.count)))\(bounds)\(rest)",
                    kinds.map(\.databaseValue) + boundArgs + args)
        case .none:
            addBounds("e.created_at")
            return ("SELECT e.seq FROM events AS e WHERE 1\(bounds)", boundArgs)
        }
    }

    /// NIP-45: events matching any filter, each once.
    static func count(_ db: Database, _ filters: [Filter]) throws -> Int {
        let selects = filters.filter { !$0.isEmptyByConstruction }.map(matchingSeqs)
        if selects.isEmpty { return 0 }
        let sql = "SELECT COUNT(*) FROM (\(selects.map(\.sql).joined(separator: " UNION ")))"
        return try Int.fetchOne(db, sql: sql, arguments: StatementArguments(selects.flatMap(\.arguments))) ?? 0
    }
}
