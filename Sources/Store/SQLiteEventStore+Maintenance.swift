import Foundation
import GRDB

/// Start-up checks and shutdown housekeeping of the on-disk store.
extension SQLiteEventStore {
    /// Runs `PRAGMA quick_check` (structure of every page and index, without the full
    /// cross-checks of `integrity_check`; seconds on a multi-GB file). Throws
    /// `StoreError.damaged` with SQLite's findings when the database is not sound.
    public func quickCheck(maxErrors: Int = 10) throws(StoreError) {
        let findings: [String]
        do {
            findings = try writer.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(\(maxErrors))") }
        } catch {
            throw .damaged(Self.describe(error))
        }
        guard findings == ["ok"] else { throw .damaged(findings.joined(separator: "; ")) }
    }

    /// Copies every WAL page into the database file and truncates the WAL to zero bytes
    /// (`PRAGMA wal_checkpoint(TRUNCATE)`), so the `.sqlite` file alone holds every event
    /// (shutdown; backups taken by copying files). Waits for readers up to the busy timeout.
    /// No-op for an in-memory store.
    public func checkpoint() throws(StoreError) {
        guard writer is DatabasePool else { return }
        do {
            try writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        } catch {
            throw .database(Self.describe(error))
        }
    }

    /// The text of a store error, with SQLite's result code when there is one
    /// (`SQLITE_CORRUPT (11): database disk image is malformed`).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DatabaseError else { return String(describing: error) }
        let code = error.extendedResultCode
        let name = sqliteCodeName(code.primaryResultCode.rawValue)
        return "\(name) (\(code.rawValue)): \(error.message ?? "no message")"
            + (error.sql.map { " [\($0.prefix(120))]" } ?? "")
    }

    static func sqliteCodeName(_ primary: Int32) -> String {
        switch primary {
        case 1: return "SQLITE_ERROR"
        case 2: return "SQLITE_INTERNAL"
        case 3: return "SQLITE_PERM"
        case 5: return "SQLITE_BUSY"
        case 6: return "SQLITE_LOCKED"
        case 7: return "SQLITE_NOMEM"
        case 8: return "SQLITE_READONLY"
        case 10: return "SQLITE_IOERR"
        case 11: return "SQLITE_CORRUPT"
        case 13: return "SQLITE_FULL"
        case 14: return "SQLITE_CANTOPEN"
        case 19: return "SQLITE_CONSTRAINT"
        case 26: return "SQLITE_NOTADB"
        default: return "SQLITE_\(primary)"
        }
    }
}
