import GRDB
import Nostr

extension SQLiteEventStore {
    /// Each page is one short read transaction (keyset pagination: the next page starts after
    /// the last row handed out), so a slow client holds no reader connection.
    public func readStoredEvents(_ cursor: inout StoredEventCursor, maxEvents: Int) throws(StoreError) -> [String] {
        if cursor.isFinished { return [] }
        var current = cursor
        let page = try read { db in try SQLiteStoredEvents.read(db, &current, maxEvents: maxEvents) }
        cursor = current
        return page
    }
}

extension SQLiteTransactionView {
    public func readStoredEvents(_ cursor: inout StoredEventCursor, maxEvents: Int) throws(StoreError) -> [String] {
        do {
            return try SQLiteStoredEvents.read(db, &cursor, maxEvents: maxEvents)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(String(describing: error))
        }
    }
}
