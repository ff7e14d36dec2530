import Foundation
import Nostr

/// Where a served REQ's reading of stored events stands: the filters, and (inside the store)
/// the position reached in each index it reads. ``EventStore/readStoredEvents(_:maxEvents:)``
/// hands out the stored JSON of the matching events a page at a time, newest first, so a
/// relay can write each page to its client before it reads the next.
public struct StoredEventCursor: Sendable, Equatable {
    /// The REQ's filters; each filter's `limit` (default `maxLimit`) is capped at `maxLimit`.
    public let filters: [Filter]
    public let maxLimit: Int
    /// Whether every matching event has been handed out.
    public internal(set) var isFinished = false
    /// The SQLite store's merge of its index reads (built on the first page).
    var merge: StoredEventMerge?

    public init(filters: [Filter], maxLimit: Int) {
        self.filters = filters
        self.maxLimit = maxLimit
    }

    /// Marks the cursor finished (stores that hand out everything in one page).
    mutating func finish() { isFinished = true }
}
