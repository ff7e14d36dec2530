import Dispatch
import Foundation
import Nostr

/// Verifies a batch of events chunk by chunk, in order, while the caller consumes the
/// verdicts: bulk ingestion stores chunk k while chunk k+1 is being verified, so signature
/// checks (the most expensive step) overlap the single-threaded store writes.
///
/// Background workers take `cores - 1` threads, leaving one for the consumer; when the
/// consumer has to wait for a chunk, it verifies the next unclaimed one itself instead of
/// idling. So every core stays busy and the store thread is never starved by verification.
final class PipelinedVerifier: @unchecked Sendable {
    private let events: [NostrEvent]
    private let chunkSize: Int
    private let chunkCount: Int
    private let verdicts: UnsafeMutableBufferPointer<EventValidationError?>
    private let condition = NSCondition()
    private var finished: [Bool]
    /// The next chunk nobody has claimed (claims go in increasing order).
    private var nextChunk = 0
    /// The highest chunk the consumer already saw finished (consumer-only state).
    private var knownFinished = -1

    /// Starts verifying `events` at once; `chunkSize` events per unit of work.
    init(_ events: [NostrEvent], chunkSize: Int = 128, workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)) {
        self.events = events
        self.chunkSize = max(1, chunkSize)
        chunkCount = (events.count + self.chunkSize - 1) / self.chunkSize
        verdicts = .allocate(capacity: max(1, events.count))
        verdicts.initialize(repeating: nil)
        finished = Array(repeating: false, count: chunkCount)
        // A batch of one chunk or less is verified by the consumer alone.
        guard chunkCount > 1 else { return }
        for _ in 0..<min(workers, chunkCount - 1) {
            // Each work item keeps `self` (and the buffer) alive until it has no chunk left.
            DispatchQueue.global(qos: .userInitiated).async { [self] in
                while let chunk = claim() { verify(chunk) }
            }
        }
    }

    deinit {
        verdicts.deinitialize()
        verdicts.deallocate()
    }

    /// The verdict for event `index` (nil: valid). Call from one consumer thread, in any
    /// order; waits for (or does) the verification of the chunk holding `index`.
    func verdict(at index: Int) -> EventValidationError? {
        let chunk = index / chunkSize
        if chunk > knownFinished {
            condition.lock()
            if !finished[chunk] && chunk >= nextChunk {
                // Unclaimed: claim every chunk up to it, then verify them here.
                let first = nextChunk
                nextChunk = chunk + 1
                condition.unlock()
                for c in first...chunk { verify(c) }
                condition.lock()
            }
            // In progress on a worker: help with the next unclaimed chunk rather than idle.
            while !finished[chunk] {
                if nextChunk < chunkCount {
                    let next = nextChunk
                    nextChunk += 1
                    condition.unlock()
                    verify(next)
                    condition.lock()
                } else {
                    condition.wait()
                }
            }
            condition.unlock()
            knownFinished = chunk
        }
        return verdicts[index]
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        guard nextChunk < chunkCount else { return nil }
        defer { nextChunk += 1 }
        return nextChunk
    }

    private func verify(_ chunk: Int) {
        let lower = chunk * chunkSize
        let upper = min(events.count, lower + chunkSize)
        for i in lower..<upper {
            do throws(EventValidationError) { try events[i].verify() } catch { verdicts[i] = error }
        }
        condition.lock()
        finished[chunk] = true
        condition.broadcast()
        condition.unlock()
    }
}
