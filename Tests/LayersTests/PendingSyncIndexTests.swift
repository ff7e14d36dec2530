import Layers
import Nostr
import Testing

/// (decisions: Three indexes and one diff)
@Suite("PendingSyncIndex")
struct PendingSyncIndexTests {
    typealias F = LayersFixtures
    let a = LayersFixtures.url("wss://a.example")
    let b = LayersFixtures.url("wss://b.example")

    @Test("Ids start at 1 and increase across relays; batches keep order per relay")
    func ids() {
        var index = PendingSyncIndex()
        let first = index.add(relay: a, repos: [:], rootEvents: [])
        let second = index.add(relay: b, repos: [F.ref("x"): .full], rootEvents: [])
        let third = index.add(relay: a, repos: [:], rootEvents: [F.eventID(1)])
        #expect([first.id, second.id, third.id] == [1, 2, 3])
        #expect(first.isGeneric && !second.isGeneric && !third.isGeneric)
        #expect(index.batches(for: a).map(\.id) == [1, 3])
        #expect(index.batches(for: b).map(\.id) == [2])
        #expect(index.relays == [a, b])
        #expect(index.count == 3)
    }

    @Test("complete removes and returns the batch once; the relay disappears when empty")
    func complete() {
        var index = PendingSyncIndex()
        let batch = index.add(relay: a, repos: [F.ref("x"): .full], rootEvents: [])
        #expect(index.complete(batch.id) == batch)
        #expect(index.complete(batch.id) == nil)
        #expect(!index.hasPending(for: a))
        #expect(index.isEmpty)
        // Ids are not reused after completion.
        #expect(index.add(relay: a, repos: [:], rootEvents: []).id == 2)
    }

    @Test("markFailed flags the batch, and the flag travels to completion")
    func markFailed() {
        var index = PendingSyncIndex()
        let batch = index.add(relay: a, repos: [:], rootEvents: [])
        index.markFailed(batch.id)
        index.markFailed(999)
        #expect(index.batch(batch.id)?.failed == true)
        #expect(index.complete(batch.id)?.failed == true)
    }

    @Test("removeAll drops a relay's batches only; their ids can no longer complete")
    func removeAll() {
        var index = PendingSyncIndex()
        let one = index.add(relay: a, repos: [:], rootEvents: [])
        let two = index.add(relay: a, repos: [F.ref("x"): .full], rootEvents: [])
        let other = index.add(relay: b, repos: [:], rootEvents: [])
        #expect(index.removeAll(for: a).map(\.id) == [one.id, two.id])
        #expect(index.complete(two.id) == nil)
        #expect(index.batches(for: b) == [other])
    }

    @Test func pendingRootsAreCountedAcrossOverlappingBatches() {
        var index = PendingSyncIndex()
        let a = F.url("wss://a.example")
        let b = F.url("wss://b.example")
        let first = index.add(relay: a, repos: [:], rootEvents: [F.eventID(1), F.eventID(2)])
        let second = index.add(relay: a, repos: [:], rootEvents: [F.eventID(2), F.eventID(3)])
        index.add(relay: b, repos: [:], rootEvents: [F.eventID(4)])
        #expect(index.hasPendingRoot(F.eventID(2), on: a))
        #expect(!index.hasPendingRoot(F.eventID(4), on: a))
        index.complete(first.id)
        // 2 is still in the second batch; 1 is gone.
        #expect(!index.hasPendingRoot(F.eventID(1), on: a))
        #expect(index.hasPendingRoot(F.eventID(2), on: a))
        index.complete(second.id)
        #expect(!index.hasPendingRoot(F.eventID(2), on: a) && !index.hasPendingRoot(F.eventID(3), on: a))
        index.removeAll(for: b)
        #expect(!index.hasPendingRoot(F.eventID(4), on: b))
        #expect(index.isEmpty)
    }

    @Test("a batch of 50,000 roots or more is asked directly, and overlaps with counted batches still answer right")
    func largeBatchesAreAskedDirectly() {
        var index = PendingSyncIndex()
        let a = F.url("wss://a.example")
        let large = Set((0..<PendingSyncIndex.largeBatchRoots).map { F.eventID($0) })
        let big = index.add(relay: a, repos: [:], rootEvents: large)
        let small = index.add(relay: a, repos: [:], rootEvents: [F.eventID(7), F.eventID(900_001)])
        #expect(index.hasPendingRoot(F.eventID(123), on: a) && index.hasPendingRoot(F.eventID(900_001), on: a))
        #expect(!index.hasPendingRoot(F.eventID(900_002), on: a))
        index.complete(big.id)
        #expect(!index.hasPendingRoot(F.eventID(123), on: a))
        #expect(index.hasPendingRoot(F.eventID(7), on: a), "still in the small batch")
        index.complete(small.id)
        #expect(!index.hasPendingRoot(F.eventID(7), on: a))
        index.add(relay: a, repos: [:], rootEvents: large)
        index.removeAll(for: a)
        #expect(!index.hasPendingRoot(F.eventID(123), on: a))
        #expect(index.isEmpty)
    }
}
