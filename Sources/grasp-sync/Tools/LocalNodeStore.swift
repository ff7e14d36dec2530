import App
import Foundation
import Nostr
import Store

/// The data directory's store and an ingestor with the node's acceptance policy, for the
/// command-line tools (`import`, `export`, `sync`). Opening it next to a running node is
/// safe: SQLite in WAL mode lets both processes read, and writers wait for each other
/// (busy timeout) instead of failing.
public struct LocalNodeStore: Sendable {
    public let store: SQLiteEventStore
    public let ingestor: EventIngestor

    /// Opens the store of `configuration`'s data directory. With `mustExist` a missing
    /// database is an error (nothing to read) rather than created empty.
    public static func open(_ configuration: NodeConfiguration, mustExist: Bool) throws -> LocalNodeStore {
        let path = configuration.databasePath
        if mustExist, !FileManager.default.fileExists(atPath: path) {
            throw ToolError.setup("no database at \(path): check --data-dir (or GRASP_SYNC_DATA_DIR)")
        }
        do {
            try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw ToolError.setup("cannot create the data directory \(configuration.dataDirectory.path): \(error.localizedDescription)")
        }
        let store: SQLiteEventStore
        do { store = try SQLiteEventStore(path: path) } catch {
            throw ToolError.setup("cannot open \(path): \(error)")
        }
        let services = configuration.effectiveServiceURLs
        guard !services.isEmpty else { throw ToolError.setup("no usable service URL") }
        let policy = AcceptancePolicy(configuration: AcceptancePolicyConfiguration(
            serviceURLs: services, requireCloneListing: configuration.requireCloneListing, archiveAll: configuration.archive))
        let deferred = DeferredEventsIndex(maxEvents: configuration.deferredMaxEvents, maxBytes: configuration.deferredMaxBytes)
        let ingestor = EventIngestor(store: store, policy: policy, rejected: RejectedEventsIndex(), deferred: deferred)
        return LocalNodeStore(store: store, ingestor: ingestor)
    }
}
