import Foundation
import GRDB
import Nostr
@testable import Store
import Synchronization
import Testing

/// Issue 12, item 6: bulk ingestion holds the single SQLite writer for bounded chunks, so a
/// client's EVENT waits for at most one chunk, not for a whole sync batch or import.
@Suite("Bounded write transactions in batch ingestion")
struct BoundedWriteTransactionTests {
    @Test("a 1,000-event batch commits in chunks of at most maxEventsPerTransaction events, every event stored")
    func batchCommitsInBoundedChunks() throws {
        let h = try Harness(Configs.lenient)
        let repo = listedAnnouncement(Keys.owner)
        let coordinate = repoCoordinate(Keys.owner, "repo")
        let issues = (0..<999).map {
            Keys.outsider.sign(kind: 1621, tags: [["a", coordinate]], content: "issue \($0)", createdAt: t0 - 1000 + Int64($0))
        }
        let observer = EventInsertCounter()
        h.store.writer.add(transactionObserver: observer, extent: .databaseLifetime)

        let results = h.ingestor.ingest(batch: [repo] + issues)
        #expect(results.allSatisfy { $0 == .saved })
        #expect(try h.store.totalCount() == 1_000)
        let perCommit = observer.insertsPerCommit
        #expect(perCommit.reduce(0, +) == 1_000)
        #expect(perCommit.count >= 1_000 / EventIngestor.maxEventsPerTransaction)
        #expect(perCommit.allSatisfy { $0 <= EventIngestor.maxEventsPerTransaction }, "\(perCommit)")
    }
}

/// Counts rows inserted into `events` per committed transaction.
final class EventInsertCounter: TransactionObserver, @unchecked Sendable {
    private let state = Mutex<(current: Int, commits: [Int])>((0, []))

    var insertsPerCommit: [Int] { state.withLock { $0.commits } }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        if case .insert(let table) = eventKind { return table == "events" }
        return false
    }

    func databaseDidChange(with event: DatabaseEvent) {
        state.withLock { $0.current += 1 }
    }

    func databaseDidCommit(_ db: Database) {
        state.withLock { s in
            if s.current > 0 { s.commits.append(s.current) }
            s.current = 0
        }
    }

    func databaseDidRollback(_ db: Database) {
        state.withLock { $0.current = 0 }
    }
}
