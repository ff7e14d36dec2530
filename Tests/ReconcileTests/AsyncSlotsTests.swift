import Testing
@testable import Reconcile

@Suite("AsyncSlots: bounded concurrency for per-relay sessions")
struct AsyncSlotsTests {
    @Test func waitersGetSlotsInOrderAsTheyAreReleased() async {
        let slots = AsyncSlots(capacity: 2)
        #expect(await slots.acquire())
        #expect(await slots.acquire())
        let order = OrderLog()
        let third = Task { _ = await slots.acquire(); await order.add(3) }
        // The third holder waits until a slot is released: observed through the log, not time.
        await Task.yield()
        #expect(await order.entries.isEmpty)
        await slots.release()
        await third.value
        #expect(await order.entries == [3])
        #expect(await slots.held == 2)
    }

    @Test func cancelledWaiterGetsNoSlot() async {
        let slots = AsyncSlots(capacity: 1)
        #expect(await slots.acquire())
        let waiter = Task { await slots.acquire() }
        waiter.cancel()
        #expect(await waiter.value == false)
        await slots.release()
        #expect(await slots.held == 0)
    }
}

actor OrderLog {
    var entries: [Int] = []
    func add(_ n: Int) { entries.append(n) }
}
