import Layers
import Nostr
import Testing

/// (decisions: Self-subscriber window)
@Suite("SelfSubscriberAccumulator window, in virtual time")
struct SelfSubscriberAccumulatorTests {
    typealias F = LayersFixtures

    @Test("Default window is 5 s; empty accumulator has no deadline and never flushes")
    func empty() {
        var acc = SelfSubscriberAccumulator()
        #expect(acc.window == 5)
        #expect(acc.isEmpty)
        #expect(acc.nextDeadline == nil)
        #expect(acc.flushIfDue(now: 1_000) == nil)
    }

    @Test("Flushes once the window has passed since the first event, not since the last")
    func windowFromFirstEvent() {
        var acc = SelfSubscriberAccumulator(window: 5)
        let e1 = F.announcement(d: "one")
        let e2 = F.announcement(d: "two")
        let e3 = F.announcement(d: "three")
        acc.add(e1, now: 100)
        #expect(acc.nextDeadline == 105)
        acc.add(e2, now: 103)
        #expect(acc.nextDeadline == 105)   // later arrivals do not push the deadline back
        #expect(acc.flushIfDue(now: 104.999) == nil)
        acc.add(e3, now: 104.999)
        #expect(acc.flushIfDue(now: 105) == [e1, e2, e3])
        #expect(acc.isEmpty)
        #expect(acc.nextDeadline == nil)
        #expect(acc.flushIfDue(now: 200) == nil)
    }

    @Test("A new window starts with the next event after a flush")
    func nextWindow() {
        var acc = SelfSubscriberAccumulator(window: 0.2)
        let e1 = F.announcement(d: "one")
        let e2 = F.announcement(d: "two")
        acc.add(e1, now: 10)
        #expect(acc.flushIfDue(now: 10.2) == [e1])
        acc.add(e2, now: 50)
        #expect(acc.nextDeadline == 50.2)
        #expect(acc.flushIfDue(now: 50.1) == nil)
        #expect(acc.flushIfDue(now: 60) == [e2])
    }

    @Test("The same event twice in one window is kept once")
    func deduplicates() {
        var acc = SelfSubscriberAccumulator(window: 1)
        let e = F.announcement(d: "one")
        acc.add(e, now: 0)
        acc.add(e, now: 0.5)
        #expect(acc.count == 1)
        #expect(acc.flushIfDue(now: 1) == [e])
    }
}
