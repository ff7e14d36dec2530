import Foundation
import Nostr

extension EventIngestor {
    /// Ingests many events in order: signatures are verified on all cores, running ahead of
    /// policy and store, which go one by one (in one transaction) so later events see
    /// earlier ones.
    public func ingest(batch events: [NostrEvent], skipKnownRejected: Bool = false) -> [IngestResult] {
        // Verification runs ahead on other threads while this one stores.
        let verifier = PipelinedVerifier(events)
        func run(_ range: Range<Int>, into target: any EventStore, tally: inout DeferredTally) -> [IngestResult] {
            var results: [IngestResult] = []
            results.reserveCapacity(range.count)
            for index in range {
                if let error = verifier.verdict(at: index) {
                    results.append(.invalid(error))
                } else {
                    results.append(ingest(events[index], verified: true, skipKnownRejected: skipKnownRejected, into: target, tally: &tally))
                }
            }
            return results
        }
        var results: [IngestResult] = []
        results.reserveCapacity(events.count)
        var start = 0
        while start < events.count {
            let range = start..<min(events.count, start + Self.maxEventsPerTransaction)
            start = range.upperBound
            // One transaction per chunk when the store supports it. Deferred events
            // re-processed inside it go through the same view, so they see the chunk's own
            // writes (earlier chunks are committed).
            if let sqlite = store as? SQLiteEventStore {
                var tally = DeferredTally()
                do {
                    results += try sqlite.withWriteTransaction { view in run(range, into: view, tally: &tally) }
                    deferred.recordAccepted(tally.accepted)
                    continue
                } catch {
                    // Rolled back: what was taken out for re-processing was not stored.
                    deferred.restore(tally.taken, now: clock.now())
                    logger.error("store error in a batch transaction of \(range.count) events, storing them one by one: \(error.description)")
                }
            }
            var tally = DeferredTally()
            results += run(range, into: store, tally: &tally)
            deferred.recordAccepted(tally.accepted)
        }
        return results
    }

    /// Events stored in one write transaction by `ingest(batch:)`: a commit per event costs
    /// more than verifying it, but one transaction for a whole batch holds the single SQLite
    /// writer for as long as the batch takes, and every client EVENT waits behind it. Chunks
    /// of this size keep each hold short; other writers get their turn between chunks
    /// (GRDB's writer queue serves waiters in order).
    public static let maxEventsPerTransaction = 256

    /// Verification errors (nil = valid) for each event, computed in parallel chunks.
    public static func verifyConcurrently(_ events: [NostrEvent]) -> [EventValidationError?] {
        let count = events.count
        if count < 64 { return events.map { e -> EventValidationError? in do throws(EventValidationError) { try e.verify(); return nil } catch { return error } } }
        let chunks = min(ProcessInfo.processInfo.activeProcessorCount * 4, count / 16)
        let verdicts = UnsafeMutableBufferPointer<EventValidationError?>.allocate(capacity: count)
        verdicts.initialize(repeating: nil)
        defer { verdicts.deallocate() }
        nonisolated(unsafe) let out = verdicts
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let lower = chunk * count / chunks
            let upper = (chunk + 1) * count / chunks
            for i in lower..<upper {
                do throws(EventValidationError) { try events[i].verify() } catch { out[i] = error }
            }
        }
        return Array(verdicts)
    }
}
