import Foundation
import Nostr

extension EventIngestor {
    /// Ingests many events in order: signatures are verified on all cores, running ahead of
    /// policy and store, which go one by one (in one transaction) so later events see
    /// earlier ones.
    public func ingest(batch events: [NostrEvent], skipKnownRejected: Bool = false) -> [IngestResult] {
        // Verification runs ahead on other threads while this one stores.
        let verifier = PipelinedVerifier(events)
        func run(into target: some EventStore, tally: inout DeferredTally) -> [IngestResult] {
            var results: [IngestResult] = []
            results.reserveCapacity(events.count)
            for (index, event) in events.enumerated() {
                if let error = verifier.verdict(at: index) {
                    results.append(.invalid(error))
                } else {
                    results.append(ingest(event, verified: true, skipKnownRejected: skipKnownRejected, into: target, tally: &tally))
                }
            }
            return results
        }
        // One transaction for the whole batch when the store supports it: a commit per event
        // costs more than verifying it. Deferred events re-processed inside it go through the
        // same view, so they see the batch's own writes.
        if let sqlite = store as? SQLiteEventStore {
            var tally = DeferredTally()
            do {
                let results = try sqlite.withWriteTransaction { view in run(into: view, tally: &tally) }
                deferred.recordAccepted(tally.accepted)
                return results
            } catch {
                // Rolled back: what was taken out for re-processing was not stored.
                deferred.restore(tally.taken, now: clock.now())
            }
        }
        var tally = DeferredTally()
        let results = run(into: store, tally: &tally)
        deferred.recordAccepted(tally.accepted)
        return results
    }

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
