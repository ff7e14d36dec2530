import Foundation
import GRDB
import Nostr

/// The store's SQL, as functions of a database connection, shared by the pooled store and
/// by transaction views (which must see their own uncommitted writes). Hot statements are
/// cached per connection.
enum SQLiteQueries {
    static func contains(_ db: Database, eventID: String) throws -> Bool {
        guard let bytes = Hex.decode(eventID), bytes.count == 32 else { return false }
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM events WHERE id = ?")
        return try Bool.fetchOne(statement, arguments: [Data(bytes)]) == true
    }

    static func containsAddressable(_ db: Database, kind: Int, pubkey: String, identifier: String) throws -> Bool {
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM events WHERE replace_key = ?")
        return try Bool.fetchOne(statement, arguments: ["\(kind):\(pubkey):\(identifier)"]) == true
    }

    /// Index reads merged in Swift (``SQLiteStoredEvents``): newest first, each filter's limit.
    static func query(_ db: Database, _ filters: [Filter], maxLimit: Int) throws -> [NostrEvent] {
        try SQLiteStoredEvents.query(db, filters, maxLimit: maxLimit)
    }

    /// NIP-45, on the driving field's index of each filter (``SQLiteStoredEvents/count(_:_:)``).
    static func count(_ db: Database, _ filters: [Filter]) throws -> Int {
        try SQLiteStoredEvents.count(db, filters)
    }

    static func idListing(_ db: Database, for filter: Filter, maxItems: Int, ordered: Bool) throws -> StoredIDListing {
        if filter.isEmptyByConstruction { return .items(StoredIDList()) }
        let (whereSQL, args) = SQLiteEventStore.whereClause(filter)
        let order = ordered ? " ORDER BY created_at ASC, id ASC" : ""
        let sql = "SELECT created_at, id FROM events WHERE \(whereSQL)\(order) LIMIT \(maxItems + 1)"
        var list = StoredIDList()
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: args)
        while let row = try cursor.next() {
            if list.count == maxItems { return .tooMany(limit: maxItems) }
            let ts: Int64 = row[0]
            let id: Data = row[1]
            list.append(timestamp: UInt64(max(0, ts)), id: id)
        }
        return .items(list)
    }

    static func announcements(_ db: Database, identifier: String) throws -> [NostrEvent] {
        let statement = try db.cachedStatement(sql: "SELECT json FROM events WHERE kind = ? AND d_tag = ?")
        return try String.fetchAll(statement, arguments: [NIP34.repoAnnouncement, identifier]).map { json in
            do throws(EventValidationError) { return try NostrEvent(jsonText: json) } catch { throw StoreError.corruptRow(error.message) }
        }
    }

    static func tagValues(_ db: Database, named name: String, ofKinds kinds: [Int]) throws -> [TaggedValue] {
        var out: [TaggedValue] = []
        try forEachTagValue(db, named: name, ofKinds: kinds) { out.append($0) }
        return out
    }

    static func forEachTagValue(_ db: Database, named name: String, ofKinds kinds: [Int], _ body: (TaggedValue) -> Void) throws {
        if kinds.isEmpty { return }
        let sql = """
            SELECT e.id, t.value FROM tags t JOIN events e ON e.seq = t.event_seq
            WHERE t.name = ? AND e.kind IN (\(SQLiteEventStore.placeholders(kinds.count))) ORDER BY e.seq
            """
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments([name] + kinds.map { $0 as any DatabaseValueConvertible }))
        while let row = try cursor.next() {
            let id: Data = row[0]
            body(TaggedValue(eventID: Hex.encode(Array(id)), value: row[1]))
        }
    }

    static func isReferenced(_ db: Database, tagNames: [String], values: [String]) throws -> Bool {
        if tagNames.isEmpty || values.isEmpty { return false }
        let sql = "SELECT 1 FROM tags WHERE name IN (\(SQLiteEventStore.placeholders(tagNames.count))) AND value IN (\(SQLiteEventStore.placeholders(values.count))) LIMIT 1"
        return try Bool.fetchOne(db.cachedStatement(sql: sql), arguments: StatementArguments(tagNames + values)) == true
    }

    static func metadata(_ db: Database, _ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = ?", arguments: [key])
    }

    /// The per-relay item sets: a relay is listed by its marker row (empty value, level 0).
    static func writeRelayItems(_ db: Database, _ changes: [RelayItemsChange], metadata: [String: String?]) throws {
        let list = try db.cachedStatement(sql: "INSERT OR IGNORE INTO relay_items (relay, value, level) VALUES (?, '', 0)")
        let add = try db.cachedStatement(sql: """
            INSERT INTO relay_items (relay, value, level) VALUES (?, ?, ?)
            ON CONFLICT (relay, value) DO UPDATE SET level = max(level, excluded.level)
            """)
        for change in changes {
            switch change {
            case .add(let relay, let items):
                try list.execute(arguments: [relay])
                for item in items where !item.value.isEmpty {
                    try add.execute(arguments: [relay, item.value, item.level])
                }
            case .clear(let relay):
                try db.execute(sql: "DELETE FROM relay_items WHERE relay = ? AND value <> ''", arguments: [relay])
                try list.execute(arguments: [relay])
            case .remove(let relay):
                try db.execute(sql: "DELETE FROM relay_items WHERE relay = ?", arguments: [relay])
            case .removeAll:
                try db.execute(sql: "DELETE FROM relay_items")
            }
        }
        for (key, value) in metadata { try setMetadata(db, key, value) }
    }

    static func forEachRelayItem(_ db: Database, _ body: (String, RelayItem?) -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT relay, value, level FROM relay_items ORDER BY relay, value")
        while let row = try rows.next() {
            let value: String = row[1]
            body(row[0], value.isEmpty ? nil : RelayItem(value: value, level: row[2]))
        }
    }

    static func setMetadata(_ db: Database, _ key: String, _ value: String?) throws {
        if let value {
            try db.execute(sql: "INSERT OR REPLACE INTO metadata (key, value) VALUES (?, ?)", arguments: [key, value])
        } else {
            try db.execute(sql: "DELETE FROM metadata WHERE key = ?", arguments: [key])
        }
    }
}
