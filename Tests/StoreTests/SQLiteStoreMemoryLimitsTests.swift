import Foundation
import GRDB
import Testing
@testable import Store

@Suite("SQLiteEventStore: memory limits")
struct SQLiteStoreMemoryLimitsTests {
    static func withStore<T>(_ memory: SQLiteEventStore.MemoryLimits, _ body: (SQLiteEventStore) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteEventStore(path: dir.appendingPathComponent("events.sqlite").path, memory: memory)
        return try body(store)
    }

    @Test("the defaults bound the page caches to 32 MiB and map nothing")
    func defaults() throws {
        let limits = SQLiteEventStore.MemoryLimits.default
        #expect(limits.mmapBytes == 0)
        #expect(limits.residentBound == 32 << 20)
        try Self.withStore(.default) { store in
            let pool = try #require(store.writer as? DatabasePool)
            #expect(pool.configuration.maximumReaderCount == 4)
            #expect(try store.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") } == -(16 << 10))
            #expect(try store.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") } == -(4 << 10))
            #expect(try store.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") } == 0)
            #expect(try store.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 16_384)
        }
    }

    @Test("configured limits reach the writer and every reader")
    func configured() throws {
        let limits = SQLiteEventStore.MemoryLimits(writerCacheBytes: 16 << 20, readerCacheBytes: 2 << 20, maximumReaders: 2,
                                                   mmapBytes: 4 << 20, walAutocheckpointPages: 1_000, journalSizeLimitBytes: 1 << 20)
        #expect(limits.residentBound == (16 << 20) + 2 * (2 << 20) + 3 * (4 << 20))
        try Self.withStore(limits) { store in
            let pool = try #require(store.writer as? DatabasePool)
            #expect(pool.configuration.maximumReaderCount == 2)
            #expect(try store.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") } == -(16 << 10))
            #expect(try store.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA journal_size_limit") } == 1 << 20)
            #expect(try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") } == -(2 << 10))
            #expect(try store.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") } == 4 << 20)
        }
    }

    @Test("SQLite's heap in this process is reported")
    func heapBytes() throws {
        try Self.withStore(.default) { _ in #expect(SQLiteEventStore.processHeapBytes > 0) }
    }
}
