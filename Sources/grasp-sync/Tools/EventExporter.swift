import App
import Foundation
import Nostr
import Store

/// Writes stored events as JSON lines, oldest first (`created_at`, then id), a page at a
/// time, in short read transactions (safe next to a running node).
public struct EventExporter {
    public let store: SQLiteEventStore

    public init(store: SQLiteEventStore) {
        self.store = store
    }

    /// Writes every event matching `filter` to `output`; returns how many. `progress` gets
    /// the running count after each page.
    @discardableResult
    public func run(filter: Filter, to output: FileHandle, progress: (Int) -> Void = { _ in }) throws -> Int {
        var written = 0
        try store.forEachStoredJSON(matching: filter) { page in
            var text = page.joined(separator: "\n")
            text.append("\n")
            try output.write(contentsOf: Data(text.utf8))
            written += page.count
            progress(written)
            return true
        }
        return written
    }
}
