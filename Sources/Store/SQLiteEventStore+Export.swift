import Foundation
import GRDB
import Nostr

extension SQLiteEventStore {
    /// The stored JSON text of every event matching `filter`, oldest first (`created_at`,
    /// then id), handed to `body` a page at a time.
    ///
    /// Pages are read with keyset pagination on the `(created_at, id)` index, each in its own
    /// short read transaction, so an export of millions of events never holds one WAL
    /// snapshot open (a running node keeps checkpointing) and never holds all rows in memory.
    /// The filter's `limit`, if any, caps the number of events. Returns how many were handed
    /// over; `body` returning false stops early.
    @discardableResult
    public func forEachStoredJSON(matching filter: Filter, pageSize: Int = 2_000,
                                  _ body: ([String]) throws -> Bool) throws -> Int {
        if filter.isEmptyByConstruction { return 0 }
        let (whereSQL, args) = Self.whereClause(filter)
        let cap = filter.limit ?? Int.max
        var handed = 0
        var after: (createdAt: Int64, id: Data)?
        while handed < cap {
            let size = min(pageSize, cap - handed)
            var sql = "SELECT created_at, id, json FROM events WHERE (\(whereSQL))"
            var arguments = args
            if let after {
                sql += " AND (created_at > ? OR (created_at = ? AND id > ?))"
                arguments += [after.createdAt, after.createdAt, after.id]
            }
            sql += " ORDER BY created_at ASC, id ASC LIMIT \(size)"
            let rows: [(Int64, Data, String)] = try read { db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map { ($0[0], $0[1], $0[2]) }
            }
            guard let last = rows.last else { break }
            after = (last.0, last.1)
            handed += rows.count
            if try !body(rows.map(\.2)) { break }
            if rows.count < size { break }
        }
        return handed
    }

    /// Stored events per kind (ascending kind).
    public func countsByKind() throws(StoreError) -> [(kind: Int, count: Int)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) FROM events GROUP BY kind ORDER BY kind")
                .map { (kind: $0[0], count: $0[1]) }
        }
    }

    /// The stored events with these ids, oldest first (missing ids are skipped).
    public func events(ids: [String]) throws(StoreError) -> [NostrEvent] {
        var out: [NostrEvent] = []
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            out += try query([Filter(ids: chunk)], maxLimit: chunk.count)
        }
        return out.sorted { $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.id < $1.id }
    }
}
