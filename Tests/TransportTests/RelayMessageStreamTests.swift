import Nostr
import Testing
import Transport

/// The bounded inbound buffer: order, bound, back-pressure, finish, cancellation.
@Suite struct RelayMessageStreamTests {
    static func notice(_ i: Int) -> RelayMessage { .notice("n\(i)") }

    @Test func deliversInOrderAndEndsAfterFinish() async throws {
        let (stream, continuation) = RelayMessageStream.makeStream(maxMessages: 4)
        let producer = Task {
            for i in 0..<100 { await continuation.send(Self.notice(i)) }
            continuation.finish()
        }
        let received: [RelayMessage] = try await withDeadline {
            var out: [RelayMessage] = []
            for await m in stream { out.append(m) }
            return out
        }
        await producer.value
        #expect(received == (0..<100).map(Self.notice))
    }

    @Test func producerWaitsWhileFullAndNothingIsLost() async throws {
        let (stream, continuation) = RelayMessageStream.makeStream(maxMessages: 3)
        let producer = Task {
            for i in 0..<10 { await continuation.send(Self.notice(i)) }
            continuation.finish()
        }
        // Nobody reads: the producer must stop at the bound.
        try await withDeadline { await stream.waitForBackPressure() }
        #expect(stream.isProducerWaiting)
        #expect(stream.bufferedCount == 3)
        var iterator = stream.makeAsyncIterator()
        var received: [RelayMessage] = []
        while let m = await iterator.next() { received.append(m) }
        await producer.value
        #expect(received == (0..<10).map(Self.notice))
    }

    @Test func byteBoundAlsoAppliesButOneLargeMessageFits() async throws {
        let (stream, continuation) = RelayMessageStream.makeStream(maxMessages: 100, maxBytes: 1000)
        let producer = Task {
            await continuation.send(Self.notice(0), bytes: 5000)  // larger than the bound: still buffered
            await continuation.send(Self.notice(1), bytes: 10)
            continuation.finish()
        }
        try await withDeadline { await stream.waitForBackPressure() }
        #expect(stream.bufferedCount == 1)
        var received: [RelayMessage] = []
        for await m in stream { received.append(m) }
        await producer.value
        #expect(received == [Self.notice(0), Self.notice(1)])
    }

    @Test func finishDeliversWhatIsBufferedThenEnds() async {
        let (stream, continuation) = RelayMessageStream.makeStream(maxMessages: 10)
        await continuation.send(Self.notice(1))
        await continuation.send(Self.notice(2))
        continuation.finish()
        #expect(await continuation.send(Self.notice(3)) == false)
        var received: [RelayMessage] = []
        for await m in stream { received.append(m) }
        #expect(received == [Self.notice(1), Self.notice(2)])
    }

    @Test func cancelledConsumerLeavesMessagesForTheNextReader() async throws {
        let (stream, continuation) = RelayMessageStream.makeStream(maxMessages: 10)
        let waiting = Task { () -> RelayMessage? in
            var it = stream.makeAsyncIterator()
            return await it.next()
        }
        waiting.cancel()
        #expect(await waiting.value == nil)
        await continuation.send(Self.notice(7))
        var it = stream.makeAsyncIterator()
        #expect(await it.next() == Self.notice(7))
    }

    @Test func cancellingAWaitingProducerKeepsItsMessage() async throws {
        let (stream, continuation) = RelayMessageStream.makeStream(maxMessages: 1)
        let producer = Task {
            await continuation.send(Self.notice(1))
            await continuation.send(Self.notice(2))  // waits: buffer full
        }
        try await withDeadline { await stream.waitForBackPressure() }
        producer.cancel()
        await producer.value
        continuation.finish()
        var received: [RelayMessage] = []
        for await m in stream { received.append(m) }
        #expect(received == [Self.notice(1), Self.notice(2)])
    }
}
