import Nostr
import Testing
@testable import Layers

/// The self-subscriber driven alone: a hand-fed stream of accepted events and a manual clock.
@Suite("SelfSubscriber: accepted events in, progress and batches out")
struct SelfSubscriberTests {
    typealias F = LayersFixtures

    static func comment(_ n: Int) -> NostrEvent {
        F.bob.sign(kind: 1111, tags: [["e", F.eventID(n)]], content: "comment \(n)", createdAt: 1_700_000_200 + Int64(n))
    }

    /// Feeds events and returns the outputs up to the progress report of the last one.
    static func feed(_ events: [NostrEvent], into stream: AsyncStream<NostrEvent>.Continuation,
                     outputs: inout AsyncStream<SelfSubscriber.Output>.AsyncIterator, untilSeen seen: Int) async -> [SelfSubscriber.Output] {
        for event in events { stream.yield(event) }
        var got: [SelfSubscriber.Output] = []
        while let output = await outputs.next() {
            got.append(output)
            if case .progress(let s, _) = output, s >= seen { break }
        }
        return got
    }

    @Test func reportsProgressAndBuffersOnlyTheKindsThatChangeFilters() async {
        let clock = ManualClock()
        let subscriber = SelfSubscriber(window: 5, clock: clock)
        let (events, input) = AsyncStream<NostrEvent>.makeStream()
        await subscriber.follow(events, seenAtStart: 10)
        var outputs = subscriber.outputs.makeAsyncIterator()
        let announcement = F.announcement(d: "repo")
        let got = await Self.feed([announcement, Self.comment(1)], into: input, outputs: &outputs, untilSeen: 12)
        #expect(got == [.progress(seen: 11, buffered: 1), .progress(seen: 12, buffered: 1)], "the comment is counted, not buffered")
        #expect(await subscriber.flushIfDue(now: clock.now() + 4.9).events == nil)
        let flush = await subscriber.flushIfDue(now: clock.now() + 5)
        #expect(flush.events == [announcement] && flush.buffered == 0 && flush.seen == 12)
        await subscriber.stop()
    }

    @Test func anEarlyFlushWaitsUntilTheEventsItCoversWereSeen() async {
        let clock = ManualClock()
        let subscriber = SelfSubscriber(window: 5, clock: clock)
        let (events, input) = AsyncStream<NostrEvent>.makeStream()
        await subscriber.follow(events, seenAtStart: 0)
        var outputs = subscriber.outputs.makeAsyncIterator()
        let issue = F.rootEvent(tagging: [F.ref("repo")])
        // The store has published 2 events; the self-subscriber has seen none yet.
        let early = await subscriber.flushWhenSeen(2)
        #expect(early.events == nil)
        let got = await Self.feed([Self.comment(1), issue], into: input, outputs: &outputs, untilSeen: 2)
        #expect(got == [.progress(seen: 1, buffered: 0), .batch([issue]), .progress(seen: 2, buffered: 0)])
        // Already seen: released at once.
        _ = await Self.feed([F.announcement(d: "other")], into: input, outputs: &outputs, untilSeen: 3)
        #expect(await subscriber.flushWhenSeen(3).events?.count == 1)
        await subscriber.stop()
    }
}
