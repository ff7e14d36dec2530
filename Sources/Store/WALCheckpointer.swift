import Dispatch
import Foundation
import GRDB

/// Moves WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside the
/// commit that crosses `wal_autocheckpoint` pages, holding the write lock while it copies the
/// whole WAL (64 MiB here) into the database file: every other writer, and every task
/// blocked on one, waits seconds. With this checkpointer the writer connection never
/// checkpoints; a dedicated connection on its own thread runs `PRAGMA
/// wal_checkpoint(PASSIVE)` whenever the WAL passes `thresholdBytes`, concurrently with the
/// writer and the readers (WAL mode allows that).
public final class WALCheckpointer: @unchecked Sendable {
    let path: String
    let thresholdBytes: Int
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "grasp-sync.wal-checkpointer")
    private var timer: DispatchSourceTimer?
    private let onError: @Sendable (String) -> Void

    /// Turns the automatic checkpoint of `store`'s writer off and opens the checkpointing
    /// connection. Call `start` to run it on a timer (or `runOnce`).
    public init(store: SQLiteEventStore, path: String, thresholdBytes: Int = 16 * 1024 * 1024,
                onError: @escaping @Sendable (String) -> Void = { _ in }) throws(StoreError) {
        self.path = path
        self.thresholdBytes = thresholdBytes
        self.onError = onError
        do {
            try store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
            var config = Configuration()
            config.busyMode = .timeout(5)
            connection = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw .database(SQLiteEventStore.describe(error))
        }
    }

    /// Bytes in the WAL file now.
    public var walBytes: Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size]) as? Int) ?? 0
    }

    /// Checkpoints when the WAL is past the threshold; returns whether it ran.
    @discardableResult
    public func runOnce() -> Bool {
        guard walBytes >= thresholdBytes else { return false }
        do {
            try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        } catch {
            onError("background WAL checkpoint failed: \(SQLiteEventStore.describe(error))")
        }
        return true
    }

    /// Checks every `interval` seconds on the checkpointer's own thread.
    public func start(interval: Double = 1) {
        queue.sync {
            guard timer == nil else { return }
            let source = DispatchSource.makeTimerSource(queue: queue)
            source.schedule(deadline: .now() + interval, repeating: interval)
            source.setEventHandler { [weak self] in self?.runOnce() }
            source.resume()
            timer = source
        }
    }

    /// Stops the timer and waits for a running checkpoint to finish.
    public func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
    }
}
