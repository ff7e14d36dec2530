import Foundation
import Store

/// Start-up checks of the data directory and the database: the node refuses to start on a
/// directory it cannot write or a database that fails `PRAGMA quick_check`, with a message
/// naming the file and the remedy (instead of starting and failing every request).
extension GraspSyncNode {
    /// Creates, syncs and removes a probe file in `directory`.
    static func checkWritable(_ directory: URL) throws(NodeError) {
        let probe = directory.appendingPathComponent(".grasp-sync-write-probe-\(getpid())")
        let fd = open(probe.path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw .dataDirectory("\(directory.path) is not writable (creating a file in it failed: \(reason)). "
                + "The node writes its database, WAL and saved state there. Remedy: give the node's user write access "
                + "to the directory (owner, permissions, a read-write mount) or choose another --data-dir.")
        }
        defer { close(fd); unlink(probe.path) }
        guard write(fd, "ok", 2) == 2, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            throw .dataDirectory("\(directory.path) is not writable (writing a probe file failed: \(reason)). "
                + "Remedy: free space on the file system, fix its mount, or choose another --data-dir.")
        }
    }

    /// Opens the database at `path` and runs `PRAGMA quick_check` on it.
    static func openCheckedStore(path: String) throws(NodeError) -> SQLiteEventStore {
        let store: SQLiteEventStore
        do {
            store = try SQLiteEventStore(path: path)
        } catch {
            throw .store("\(path): \(error.description). " + remedy(path))
        }
        do {
            try store.quickCheck()
        } catch {
            throw .store("\(path) failed PRAGMA quick_check (\(error.description)); the node does not start on a damaged "
                + "database. " + remedy(path))
        }
        return store
    }

    static func remedy(_ path: String) -> String {
        "Remedy: stop every process using it, then restore it from a backup (keep a database file together with its "
            + "-wal file), or salvage what is readable with `sqlite3 \(path) .recover | sqlite3 recovered.sqlite` "
            + "and move recovered.sqlite to \(path) (removing the old -wal and -shm files). See docs/operations.md."
    }
}
