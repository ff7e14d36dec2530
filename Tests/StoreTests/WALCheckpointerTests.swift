import Foundation
import GRDB
import Nostr
@testable import Store
import Testing

/// Issue 12, item 6: checkpoints leave the commit path. SQLite's automatic checkpoint runs
/// inside the commit that crosses the threshold, holding the write lock while it copies the
/// WAL; with the checkpointer installed, commits only append and a separate connection
/// copies the WAL back.
@Suite("WAL checkpoints off the commit path")
struct WALCheckpointerTests {
    static func events(_ count: Int, from start: Int) -> [NostrEvent] {
        let key = NostrKeypair.generate()
        return (start..<(start + count)).map {
            key.sign(kind: 1, tags: [["t", "n\($0)"]], content: String(repeating: "x", count: 500), createdAt: 1_700_000_000 + Int64($0))
        }
    }

    static func temporaryPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("grasp-sync.sqlite").path
    }

    /// Events held by the database file alone (a copy without its WAL).
    static func countInMainFile(_ path: String) throws -> Int {
        let copy = path + ".alone-\(UUID().uuidString.prefix(6))"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        return try SQLiteEventStore(path: copy).totalCount()
    }

    /// A store whose writer would checkpoint every 100 pages by itself.
    static func smallAutoCheckpointStore(_ path: String) throws -> SQLiteEventStore {
        let store = try SQLiteEventStore(path: path)
        try store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 100") }
        return store
    }

    @Test("without the checkpointer, commits checkpoint by themselves (the behaviour being replaced)")
    func commitsCheckpointWithoutIt() throws {
        let path = try Self.temporaryPath()
        let store = try Self.smallAutoCheckpointStore(path)
        for chunk in 0..<20 { _ = try store.insert(batch: Self.events(100, from: chunk * 100)) }
        #expect(try Self.countInMainFile(path) > 0)
    }

    @Test("with the checkpointer, commits only append; runOnce copies the WAL into the database file")
    func checkpointerOwnsCheckpoints() throws {
        let path = try Self.temporaryPath()
        let store = try Self.smallAutoCheckpointStore(path)
        let checkpointer = try WALCheckpointer(store: store, path: path, thresholdBytes: 256 * 1024)
        for chunk in 0..<20 { _ = try store.insert(batch: Self.events(100, from: chunk * 100)) }
        // 2,000 events (well past 100 pages) committed, none checkpointed by a commit.
        #expect(try Self.countInMainFile(path) == 0)
        #expect(checkpointer.walBytes >= 256 * 1024)
        #expect(checkpointer.runOnce())
        #expect(try Self.countInMainFile(path) == 2_000)
        // Below the threshold nothing runs.
        try store.checkpoint()
        #expect(!checkpointer.runOnce())
    }
}
