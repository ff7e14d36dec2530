import Foundation
import GRDB
#if canImport(GRDBSQLite)
import GRDBSQLite
#elseif canImport(SQLite3)
import SQLite3
#endif
import Nostr

/// The default embedded event store: SQLite through GRDB, WAL mode on disk.
///
/// Writes are serialised by GRDB's writer; reads run concurrently from the pool. Each
/// `insert` is one transaction, so a crash never leaves half an event (or half a replacement).
public final class SQLiteEventStore: EventStore {
    let writer: any DatabaseWriter
    let broadcaster = EventBroadcaster()

    /// Memory bounds of one on-disk store: SQLite's own page caches, the memory maps of the
    /// database file and the WAL. The kernel counts mapped file pages in the process's RSS,
    /// once for every connection whose map holds them.
    public struct MemoryLimits: Sendable, Equatable {
        /// Page cache of the writer connection, in bytes (`PRAGMA cache_size`). Bulk writes
        /// (sync, import) touch the index B-trees all over: a larger cache saves rereading them.
        public var writerCacheBytes: Int
        /// Page cache of each reader connection, in bytes. In WAL mode a reader drops its cache
        /// whenever another connection committed since its last read.
        public var readerCacheBytes: Int
        /// Reader connections the pool opens at most (concurrent reads: REQs, NIP-77 listings,
        /// policy lookups).
        public var maximumReaders: Int
        /// Bytes of the database file each connection memory-maps (`PRAGMA mmap_size`; 0: reads
        /// copy pages from the OS cache into the connection's page cache instead).
        public var mmapBytes: Int
        /// WAL pages after which a commit checkpoints (`PRAGMA wal_autocheckpoint`; the node's
        /// `WALCheckpointer` turns this off and checkpoints on its own thread).
        public var walAutocheckpointPages: Int
        /// Size the WAL file is truncated to after a checkpoint (`PRAGMA journal_size_limit`).
        public var journalSizeLimitBytes: Int

        public init(writerCacheBytes: Int = 16 << 20, readerCacheBytes: Int = 4 << 20, maximumReaders: Int = 4,
                    mmapBytes: Int = 0, walAutocheckpointPages: Int = 16_384, journalSizeLimitBytes: Int = 64 << 20) {
            self.writerCacheBytes = writerCacheBytes
            self.readerCacheBytes = readerCacheBytes
            self.maximumReaders = maximumReaders
            self.mmapBytes = mmapBytes
            self.walAutocheckpointPages = walAutocheckpointPages
            self.journalSizeLimitBytes = journalSizeLimitBytes
        }

        /// The defaults: 16 MiB writer cache, 4 readers of 4 MiB, no memory map, checkpoint
        /// every 64 MiB of WAL (`16_384` pages of 4 KiB), WAL truncated to 64 MiB: at most
        /// 32 MiB of page caches whatever the size of the store (the node's RSS target at a
        /// million events is 300 MB; pages a cache misses come from the OS file cache).
        public static let `default` = MemoryLimits()

        /// The most the page caches and memory maps can hold resident together.
        public var residentBound: Int {
            writerCacheBytes + maximumReaders * readerCacheBytes + (maximumReaders + 1) * mmapBytes
        }
    }

    /// Opens (creating if needed) the database file at `path`, in WAL mode, within `memory`.
    public init(path: String, memory: MemoryLimits = .default) throws(StoreError) {
        var config = Configuration()
        // Another process may hold the write lock (the `import`/`sync` tools next to a
        // running node): wait for it instead of failing with SQLITE_BUSY at once.
        config.busyMode = .timeout(30)
        config.maximumReaderCount = max(1, memory.maximumReaders)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Negative: KiB. The pool opens its readers read-only.
            let cacheBytes = db.configuration.readonly ? memory.readerCacheBytes : memory.writerCacheBytes
            try db.execute(sql: "PRAGMA cache_size = -\(max(64, cacheBytes / 1024))")
            // A map shares the OS cache's pages instead of copying them, but every connection
            // maps the file on its own and each mapped page counts in the RSS once per map.
            try db.execute(sql: "PRAGMA mmap_size = \(max(0, memory.mmapBytes))")
            // Checkpoint every 64 MiB of WAL instead of SQLite's 4 MiB: sync commits a batch
            // per response, and pages rewritten by many commits are then copied back once.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(memory.walAutocheckpointPages)")
            try db.execute(sql: "PRAGMA journal_size_limit = \(memory.journalSizeLimitBytes)")
        }
        do {
            writer = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(writer)
        } catch {
            throw .database(String(describing: error))
        }
    }

    /// An in-memory store (tests and benchmarks).
    public init() throws(StoreError) {
        do {
            writer = try DatabaseQueue()
            try Self.migrator.migrate(writer)
        } catch {
            throw .database(String(describing: error))
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                  seq INTEGER PRIMARY KEY,
                  id BLOB NOT NULL UNIQUE,
                  pubkey BLOB NOT NULL,
                  created_at INTEGER NOT NULL,
                  kind INTEGER NOT NULL,
                  d_tag TEXT,
                  replace_key TEXT,
                  json TEXT NOT NULL
                );
                CREATE INDEX events_created ON events(created_at, id);
                CREATE INDEX events_kind_created ON events(kind, created_at);
                CREATE INDEX events_pubkey_created ON events(pubkey, created_at);
                CREATE INDEX events_kind_d ON events(kind, d_tag) WHERE d_tag IS NOT NULL;
                CREATE UNIQUE INDEX events_replace ON events(replace_key) WHERE replace_key IS NOT NULL;
                CREATE TABLE tags (
                  event_seq INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
                  name TEXT NOT NULL,
                  value TEXT NOT NULL,
                  created_at INTEGER NOT NULL
                );
                CREATE INDEX tags_lookup ON tags(name, value, created_at);
                CREATE INDEX tags_event ON tags(event_seq);
                CREATE TABLE deletions (
                  target TEXT NOT NULL,
                  pubkey TEXT NOT NULL,
                  created_at INTEGER NOT NULL,
                  PRIMARY KEY (target, pubkey)
                ) WITHOUT ROWID;
                CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                """)
        }
        // v2: tag rows keyed by their lookup columns (no rowid and no separate lookup index:
        // two B-tree inserts per tag instead of three; bulk ingestion is dominated by these).
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE tags_v2 (
                  name TEXT NOT NULL,
                  value TEXT NOT NULL,
                  created_at INTEGER NOT NULL,
                  event_seq INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
                  PRIMARY KEY (name, value, created_at, event_seq)
                ) WITHOUT ROWID;
                INSERT OR IGNORE INTO tags_v2 (name, value, created_at, event_seq) SELECT name, value, created_at, event_seq FROM tags;
                DROP TABLE tags;
                ALTER TABLE tags_v2 RENAME TO tags;
                CREATE INDEX tags_event ON tags(event_seq);
                """)
        }
        // v3: the sync engine's confirmed state, one row per relay and item, written as it
        // changes (it was one JSON value in metadata, rewritten whole every few seconds).
        m.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE relay_items (
                  relay TEXT NOT NULL,
                  value TEXT NOT NULL,
                  level INTEGER NOT NULL,
                  PRIMARY KEY (relay, value)
                ) WITHOUT ROWID;
                """)
        }
        return m
    }

    // MARK: - Writing

    public func insert(_ event: NostrEvent) throws(StoreError) -> InsertOutcome {
        let kindClass = event.kindClass
        if kindClass == .ephemeral {
            broadcaster.publish(event)
            return .ephemeral
        }
        let outcome: InsertOutcome
        do {
            outcome = try writer.write { db in try Self.insert(event, kindClass: kindClass, db: db) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(String(describing: error))
        }
        if outcome == .saved { broadcaster.publish(event) }
        return outcome
    }

    /// Stores several events in one transaction (a commit per event dominates bulk loads).
    /// NIP-01 semantics apply event by event, in order; subscribers get the saved ones after
    /// the commit.
    public func insert(batch events: [NostrEvent]) throws(StoreError) -> [InsertOutcome] {
        let outcomes: [InsertOutcome]
        do {
            outcomes = try writer.write { db in
                try events.map { e -> InsertOutcome in
                    e.kindClass == .ephemeral ? .ephemeral : try Self.insert(e, kindClass: e.kindClass, db: db)
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(String(describing: error))
        }
        for (event, outcome) in zip(events, outcomes) where outcome.isNew { broadcaster.publish(event) }
        return outcomes
    }

    /// Inserts one event with NIP-01/NIP-09 semantics. `knownAbsent`: the caller has just
    /// checked, on this connection and transaction, that the id is not stored (skips one
    /// lookup in bulk ingestion). `mayHaveDeletions: false`: the deletions table is known to be
    /// empty (skips the NIP-09 lookups).
    static func insert(_ event: NostrEvent, kindClass: EventKindClass, db: Database,
                       knownAbsent: Bool = false, mayHaveDeletions: Bool = true) throws -> InsertOutcome {
        guard let idBytes = Hex.decode(event.id), let pkBytes = Hex.decode(event.pubkey) else {
            throw StoreError.corruptRow("event with non-hex id or pubkey")
        }
        let id = Data(idBytes)
        if !knownAbsent, try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM events WHERE id = ?"), arguments: [id]) == true {
            return .duplicate
        }
        // NIP-09: a deleted event (by id, or by address up to the deletion's time) stays deleted.
        if mayHaveDeletions,
           try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM deletions WHERE target = ? AND pubkey = ?"), arguments: [event.id, event.pubkey]) == true {
            return .deleted
        }
        var dTag: String?
        var replaceKey: String?
        switch kindClass {
        case .replaceable:
            replaceKey = "\(event.kind):\(event.pubkey)"
            if mayHaveDeletions, let deletedAt = try Int64.fetchOne(db, sql: "SELECT created_at FROM deletions WHERE target = ? AND pubkey = ?", arguments: [replaceKey!, event.pubkey]),
               event.createdAt <= deletedAt {
                return .deleted
            }
        case .addressable:
            dTag = event.dTag
            replaceKey = "\(event.kind):\(event.pubkey):\(event.dTag)"
            if mayHaveDeletions, let deletedAt = try Int64.fetchOne(db, sql: "SELECT created_at FROM deletions WHERE target = ? AND pubkey = ?", arguments: [replaceKey!, event.pubkey]),
               event.createdAt <= deletedAt {
                return .deleted
            }
        default:
            break
        }
        if let replaceKey,
           let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, id, created_at FROM events WHERE replace_key = ?"), arguments: [replaceKey]) {
            let oldCreated: Int64 = row["created_at"]
            let oldID: Data = row["id"]
            if oldID == id { return .duplicate }
            // NIP-01: newest wins; on equal timestamps the lowest id wins.
            if oldCreated > event.createdAt || (oldCreated == event.createdAt && oldID.lexicographicallyPrecedes(id)) {
                return .superseded
            }
            try db.execute(sql: "DELETE FROM events WHERE seq = ?", arguments: [row["seq"] as Int64])
        }
        try db.cachedStatement(sql: "INSERT INTO events (id, pubkey, created_at, kind, d_tag, replace_key, json) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [id, Data(pkBytes), event.createdAt, event.kind, dTag, replaceKey, event.jsonText])
        let seq = db.lastInsertedRowID
        try insertTags(of: event, seq: seq, db: db)
        if event.kind == NIP34.deletion { try applyDeletion(event, db: db) }
        return .saved
    }

    /// Indexes the event's single-letter tags (a repeated tag is one row).
    private static func insertTags(of event: NostrEvent, seq: Int64, db: Database) throws {
        let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO tags (name, value, created_at, event_seq) VALUES (?, ?, ?, ?)")
        for tag in event.tags where tag.count > 1 && isIndexedTagName(tag[0]) {
            try statement.execute(arguments: [tag[0], tag[1], event.createdAt, seq])
        }
    }

    /// Single-letter tag names are the ones NIP-01 filters can query.
    static func isIndexedTagName(_ name: String) -> Bool {
        guard name.utf8.count == 1, let c = name.utf8.first else { return false }
        return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)
    }

    /// NIP-09: remove the author's own events named by `e` ids and `a` addresses (versions
    /// up to the deletion's `created_at`) and remember the deletion so they never return.
    private static func applyDeletion(_ deletion: NostrEvent, db: Database) throws {
        for id in deletion.tagValues("e") where Hex.isLowercaseHex(id, byteCount: 32) {
            try db.execute(sql: "INSERT OR REPLACE INTO deletions (target, pubkey, created_at) VALUES (?, ?, ?)",
                           arguments: [id, deletion.pubkey, deletion.createdAt])
            if let idBytes = Hex.decode(id), let pk = Hex.decode(deletion.pubkey) {
                try db.execute(sql: "DELETE FROM events WHERE id = ? AND pubkey = ? AND kind != ?",
                               arguments: [Data(idBytes), Data(pk), NIP34.deletion])
            }
        }
        for address in deletion.tagValues("a") {
            guard let ref = RepoRef(address), ref.pubkey == deletion.pubkey else { continue }
            // The same key `insert` gives the event: replaceable kinds have no `d` part.
            let key: String
            switch EventKindClass(kind: ref.kind) {
            case .replaceable: key = "\(ref.kind):\(ref.pubkey)"
            case .addressable: key = "\(ref.kind):\(ref.pubkey):\(ref.identifier)"
            default: continue
            }
            try db.execute(sql: """
                INSERT INTO deletions (target, pubkey, created_at) VALUES (?, ?, ?)
                ON CONFLICT(target, pubkey) DO UPDATE SET created_at = max(created_at, excluded.created_at)
                """, arguments: [key, deletion.pubkey, deletion.createdAt])
            try db.execute(sql: "DELETE FROM events WHERE replace_key = ? AND created_at <= ?",
                           arguments: [key, deletion.createdAt])
        }
    }

    // MARK: - Reading

    public func contains(eventID: String) throws(StoreError) -> Bool {
        try read { db in try SQLiteQueries.contains(db, eventID: eventID) }
    }

    public func containsAddressable(kind: Int, pubkey: String, identifier: String) throws(StoreError) -> Bool {
        try read { db in try SQLiteQueries.containsAddressable(db, kind: kind, pubkey: pubkey, identifier: identifier) }
    }

    public func query(_ filters: [Filter], maxLimit: Int) throws(StoreError) -> [NostrEvent] {
        try read { db in try SQLiteQueries.query(db, filters, maxLimit: maxLimit) }
    }

    public func count(_ filters: [Filter]) throws(StoreError) -> Int {
        try read { db in try SQLiteQueries.count(db, filters) }
    }

    public func idListing(for filter: Filter, maxItems: Int, ordered: Bool) throws(StoreError) -> StoredIDListing {
        try read { db in try SQLiteQueries.idListing(db, for: filter, maxItems: maxItems, ordered: ordered) }
    }

    public func announcements(identifier: String) throws(StoreError) -> [NostrEvent] {
        try read { db in try SQLiteQueries.announcements(db, identifier: identifier) }
    }

    public func tagValues(named name: String, ofKinds kinds: [Int]) throws(StoreError) -> [TaggedValue] {
        try read { db in try SQLiteQueries.tagValues(db, named: name, ofKinds: kinds) }
    }

    public func forEachTagValue(named name: String, ofKinds kinds: [Int], _ body: (TaggedValue) -> Void) throws(StoreError) {
        try read { db in try SQLiteQueries.forEachTagValue(db, named: name, ofKinds: kinds, body) }
    }

    public func isReferenced(tagNames: [String], values: [String]) throws(StoreError) -> Bool {
        try read { db in try SQLiteQueries.isReferenced(db, tagNames: tagNames, values: values) }
    }

    public func subscribe(bufferLimit: Int?) -> AsyncStream<NostrEvent> { broadcaster.subscribe(bufferLimit: bufferLimit) }

    public var publishedEventCount: Int { broadcaster.publishedCount }

    public func metadata(_ key: String) throws(StoreError) -> String? {
        try read { db in try SQLiteQueries.metadata(db, key) }
    }

    public func setMetadata(_ key: String, _ value: String?) throws(StoreError) {
        do {
            try writer.write { db in try SQLiteQueries.setMetadata(db, key, value) }
        } catch {
            throw .database(String(describing: error))
        }
    }

    public func writeRelayItems(_ changes: [RelayItemsChange], metadata: [String: String?]) throws(StoreError) {
        do {
            try writer.write { db in try SQLiteQueries.writeRelayItems(db, changes, metadata: metadata) }
        } catch {
            throw .database(String(describing: error))
        }
    }

    public func forEachRelayItem(_ body: (String, RelayItem?) -> Void) throws(StoreError) {
        try read { db in try SQLiteQueries.forEachRelayItem(db, body) }
    }

    /// Total number of stored events.
    public func totalCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }

    /// Bytes SQLite has allocated from the heap in this process (`sqlite3_memory_used`): the
    /// page caches, schemas and prepared statements of every connection of every store.
    public static var processHeapBytes: Int { Int(sqlite3_memory_used()) }

    /// Ends every subscriber stream (shutdown).
    public func finishSubscribers() { broadcaster.finishAll() }

    // MARK: - Helpers

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(String(describing: error))
        }
    }

    static func placeholders(_ n: Int) -> String {
        String(repeating: "?,", count: max(0, n - 1)) + (n > 0 ? "?" : "")
    }

    /// SQL conditions and arguments for one filter's matching conditions (not its limit).
    static func whereClause(_ filter: Filter) -> (String, StatementArguments) {
        var parts: [String] = ["1"]
        var args: [any DatabaseValueConvertible] = []
        if let ids = filter.ids {
            parts.append("id IN (\(placeholders(ids.count)))")
            args += ids.map { Data(Hex.decode($0) ?? []) }
        }
        if let authors = filter.authors {
            parts.append("pubkey IN (\(placeholders(authors.count)))")
            args += authors.map { Data(Hex.decode($0) ?? []) }
        }
        if let kinds = filter.kinds {
            parts.append("kind IN (\(placeholders(kinds.count)))")
            args += kinds
        }
        if let since = filter.since {
            parts.append("created_at >= ?")
            args.append(since)
        }
        if let until = filter.until {
            parts.append("created_at <= ?")
            args.append(until)
        }
        for name in filter.tags.keys.sorted() {
            let values = filter.tags[name]!
            parts.append("seq IN (SELECT event_seq FROM tags WHERE name = ? AND value IN (\(placeholders(values.count))))")
            args.append(name)
            args += values
        }
        return (parts.joined(separator: " AND "), StatementArguments(args))
    }
}
