import Foundation
@testable import Relay
import Store
import Synchronization
import Testing

/// Issue 12, item 2 (memory returned after sessions end): when the last listing of a burst
/// is released, the budget asks for the freed heap to be handed back to the system.
@Suite struct NegentropyBudgetTrimTests {
    final class TrimCounter: Sendable {
        let count = Mutex(0)
        func trim() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    @Test func theLastReleaseAfterABigBurstTrimsOnce() {
        let counter = TrimCounter()
        let budget = NegentropyBudget(capacity: 1_000, trimAfterItems: 500, trim: counter.trim)
        var held: [NegentropyReservation] = (0..<3).compactMap { _ in budget.reserve(200) }
        #expect(held.count == 3 && budget.inUse == 600)
        held.removeLast()
        held.removeLast()
        #expect(counter.value == 0, "trimmed while a listing was still held")
        held.removeAll()
        #expect(budget.inUse == 0)
        #expect(counter.value == 1)
    }

    @Test func smallSessionsNeverTrim() {
        let counter = TrimCounter()
        let budget = NegentropyBudget(capacity: 1_000, trimAfterItems: 500, trim: counter.trim)
        for _ in 0..<10 {
            var r = budget.reserve(100)
            #expect(r != nil)
            r = nil
            _ = r
        }
        #expect(counter.value == 0)
    }

    @Test func eachBurstTrimsAgain() {
        let counter = TrimCounter()
        let budget = NegentropyBudget(capacity: 1_000, trimAfterItems: 500, trim: counter.trim)
        for burst in 1...3 {
            var r = budget.reserve(600)
            #expect(r != nil)
            r = nil
            _ = r
            #expect(counter.value == burst)
        }
    }

    @Test func heapTrimRunsHere() {
        #expect(HeapTrim.trim())
    }
}
