import Foundation
import GRDB
import Nostr

/// The store as seen from inside one write transaction: reads see the transaction's own
/// writes, and saved events are published only after the commit. Valid only inside
/// `SQLiteEventStore.withWriteTransaction`; batch ingestion uses it so policy checks and
/// inserts of thousands of events share one commit.
public final class SQLiteTransactionView: EventStore, @unchecked Sendable {
    let db: Database
    let broadcaster: EventBroadcaster
    var saved: [NostrEvent] = []
    /// The id `contains` last found absent (bulk ingestion checks, then inserts).
    private var lastAbsentID: String?
    /// Whether the deletions table may have rows (looked up once per transaction).
    private var deletionsMayExist: Bool?

    init(db: Database, broadcaster: EventBroadcaster) {
        self.db = db
        self.broadcaster = broadcaster
    }

    private func run<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do { return try body() } catch let error as StoreError { throw error } catch { throw .database(String(describing: error)) }
    }

    public func insert(_ event: NostrEvent) throws(StoreError) -> InsertOutcome {
        if event.kindClass == .ephemeral {
            saved.append(event)
            return .ephemeral
        }
        let knownAbsent = lastAbsentID == event.id
        lastAbsentID = nil
        let outcome = try run {
            if deletionsMayExist == nil {
                deletionsMayExist = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM deletions)") ?? true
            }
            return try SQLiteEventStore.insert(event, kindClass: event.kindClass, db: db,
                                               knownAbsent: knownAbsent, mayHaveDeletions: deletionsMayExist ?? true)
        }
        if event.kind == NIP34.deletion { deletionsMayExist = true }
        if outcome == .saved { saved.append(event) }
        return outcome
    }

    public func contains(eventID: String) throws(StoreError) -> Bool {
        let found = try run { try SQLiteQueries.contains(db, eventID: eventID) }
        lastAbsentID = found ? nil : eventID
        return found
    }

    public func containsAddressable(kind: Int, pubkey: String, identifier: String) throws(StoreError) -> Bool {
        try run { try SQLiteQueries.containsAddressable(db, kind: kind, pubkey: pubkey, identifier: identifier) }
    }

    public func query(_ filters: [Filter], maxLimit: Int) throws(StoreError) -> [NostrEvent] {
        try run { try SQLiteQueries.query(db, filters, maxLimit: maxLimit) }
    }

    public func count(_ filters: [Filter]) throws(StoreError) -> Int { try run { try SQLiteQueries.count(db, filters) } }

    public func idListing(for filter: Filter, maxItems: Int, ordered: Bool) throws(StoreError) -> StoredIDListing {
        try run { try SQLiteQueries.idListing(db, for: filter, maxItems: maxItems, ordered: ordered) }
    }

    public func tagValues(named name: String, ofKinds kinds: [Int]) throws(StoreError) -> [TaggedValue] {
        try run { try SQLiteQueries.tagValues(db, named: name, ofKinds: kinds) }
    }

    public func announcements(identifier: String) throws(StoreError) -> [NostrEvent] {
        try run { try SQLiteQueries.announcements(db, identifier: identifier) }
    }

    public func isReferenced(tagNames: [String], values: [String]) throws(StoreError) -> Bool {
        try run { try SQLiteQueries.isReferenced(db, tagNames: tagNames, values: values) }
    }

    public func subscribe(bufferLimit: Int?) -> AsyncStream<NostrEvent> { broadcaster.subscribe(bufferLimit: bufferLimit) }

    public var publishedEventCount: Int { broadcaster.publishedCount }

    public func metadata(_ key: String) throws(StoreError) -> String? { try run { try SQLiteQueries.metadata(db, key) } }

    public func setMetadata(_ key: String, _ value: String?) throws(StoreError) { try run { try SQLiteQueries.setMetadata(db, key, value) } }

    public func writeRelayItems(_ changes: [RelayItemsChange], metadata: [String: String?]) throws(StoreError) {
        try run { try SQLiteQueries.writeRelayItems(db, changes, metadata: metadata) }
    }

    public func forEachRelayItem(_ body: (String, RelayItem?) -> Void) throws(StoreError) {
        try run { try SQLiteQueries.forEachRelayItem(db, body) }
    }
}

extension SQLiteEventStore {
    /// Runs `body` in one write transaction with a view that sees its own writes; events the
    /// view saved are published to subscribers after the commit (nothing if it rolls back).
    public func withWriteTransaction<T>(_ body: (SQLiteTransactionView) throws -> T) throws(StoreError) -> T {
        let result: (T, [NostrEvent])
        do {
            result = try writer.write { db in
                let view = SQLiteTransactionView(db: db, broadcaster: broadcaster)
                let value = try body(view)
                return (value, view.saved)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(String(describing: error))
        }
        for event in result.1 { broadcaster.publish(event) }
        return result.0
    }
}
