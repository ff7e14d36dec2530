import Foundation
import GRDB
import Nostr
import Testing
@testable import Store

@Suite("SQLiteEventStore: schema migration")
struct SQLiteEventStoreMigrationTests {
    @Test("a v1 database keeps its tag index when opened by this version")
    func v1DatabaseIsMigrated() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.sqlite").path
        let issue = Keys.outsider.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.owner, "repo")], ["p", Keys.owner.publicKey], ["p", Keys.owner.publicKey]],
                                       content: "old", createdAt: t0)
        // Write the event with the v1 schema only, as an older release did.
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteEventStore.migrator.migrate(queue, upTo: "v1")
            try queue.write { db in _ = try SQLiteEventStore.insert(issue, kindClass: issue.kindClass, db: db) }
        }
        let store = try SQLiteEventStore(path: path)
        #expect(try store.query([Filter(tags: ["a": [repoCoordinate(Keys.owner, "repo")]])], maxLimit: 10) == [issue])
        #expect(try store.query([Filter(tags: ["p": [Keys.owner.publicKey]])], maxLimit: 10) == [issue])
        let later = Keys.outsider.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.owner, "repo")]], content: "new", createdAt: t0 + 1)
        #expect(try store.insert(later) == .saved)
        #expect(try store.query([Filter(tags: ["a": [repoCoordinate(Keys.owner, "repo")]])], maxLimit: 10) == [later, issue])
    }
}

@Suite("SQLiteEventStore: connection settings")
struct SQLiteEventStoreSettingsTests {
    @Test("on disk: WAL, NORMAL sync, checkpoint every 64 MiB of WAL, page caches of 16 MiB (writer) and 4 MiB (readers), no memory map")
    func fileStoreSettings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteEventStore(path: dir.appendingPathComponent("events.sqlite").path)
        let settings = try store.writer.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint"), try Int.fetchOne(db, sql: "PRAGMA cache_size"))
        }
        #expect(settings.0 == "wal")
        #expect(settings.1 == 1)  // NORMAL
        #expect(settings.2 == 16_384)
        #expect(settings.3 == -4_096)  // a reader
        #expect(try store.writer.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -16_384)
        // No connection of the pool maps the file (SQLiteEventStore.MemoryLimits.default).
        #expect(try store.writer.read { try Int.fetchOne($0, sql: "PRAGMA mmap_size") } == 0)
        #expect(try store.writer.write { try Int.fetchOne($0, sql: "PRAGMA mmap_size") } == 0)
    }
}
