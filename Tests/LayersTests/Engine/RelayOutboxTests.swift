@testable import Layers
import Foundation
import Nostr
import Testing

/// A session that records what it is sent; the first send waits for `release`, so a
/// change queued behind it could overtake it if the outbox did not keep order.
final class RecordingLinkSession: RelayLinkSession, @unchecked Sendable {
    private let lock = NSLock()
    private var log: [ClientMessage] = []
    private var gate: CheckedContinuation<Void, Never>?
    private var gateOpen = false
    private var first = true
    /// Yields once the first send is held at the gate.
    let held: AsyncStream<Void>
    private let heldSignal: AsyncStream<Void>.Continuation

    init() {
        (held, heldSignal) = AsyncStream.makeStream(of: Void.self)
    }

    var messages: [ClientMessage] { lock.withLock { log } }

    func send(_ message: ClientMessage) async throws {
        let waitHere = lock.withLock { () -> Bool in
            defer { first = false }
            return first && !gateOpen
        }
        if waitHere {
            await withCheckedContinuation { c in
                lock.withLock { gate = c }
                heldSignal.yield()
            }
        }
        lock.withLock { log.append(message) }
    }

    func release() {
        let waiter = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            gateOpen = true
            defer { gate = nil }
            return gate
        }
        waiter?.resume()
    }

    func close() async {}
}

@Suite struct RelayOutboxTests {
    @Test("changes go out in the order they were queued, and sent() returns once all of them did")
    func keepsOrderAndReportsSent() async {
        let session = RecordingLinkSession()
        let sentChanges = SentCounter()
        let outbox = RelayOutbox(session: session, onSent: { sentChanges.increment() })
        let first: [ClientMessage] = [.req(subscriptionID: "live-1", filters: [Filter(kinds: [1621])])]
        let second: [ClientMessage] = [.close(subscriptionID: "live-1"), .req(subscriptionID: "live-2", filters: [Filter(kinds: [1111])])]
        #expect(outbox.enqueue(first))
        #expect(outbox.enqueue(second))
        // The first send is held: nothing of the second change may go out meanwhile.
        var held = session.held.makeAsyncIterator()
        _ = await held.next()
        await Task.yield()
        #expect(session.messages.isEmpty, "a later change overtook the held one")
        session.release()
        await outbox.sent()
        #expect(session.messages == first + second)
        #expect(sentChanges.value == 2)
        outbox.finish()
        #expect(!outbox.enqueue(first), "a finished outbox takes nothing")
        await outbox.sent()
    }
}

final class SentCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
