import Foundation
import Nostr
import Reconcile

/// Routes a connection's inbound messages to the historic requests and NIP-77 sessions
/// waiting for them, by subscription id. A NOTICE carries no id: it goes to the oldest NIP-77
/// session still waiting for its first reply (relays answer a connection's messages in
/// order, and strfry refuses an oversized NEG-OPEN with a NOTICE), and to nobody else. Deadlines are checked by `expire(now:)` from the coordinator's tick,
/// so tests drive timeouts in virtual time.
public final class SubscriptionRouter: @unchecked Sendable {
    /// What a registered subscription receives (Reconcile's type: reconcilers read it).
    public typealias Delivery = RequestDelivery

    private struct Waiter {
        var continuation: AsyncStream<Delivery>.Continuation
        var deadline: Double
        var timeout: Double
        /// Set while a NEG-OPEN waits for its first reply: the order it was sent in.
        var awaitingFirstReply: Int?
    }

    private let lock = NSLock()
    private var waiters: [String: Waiter] = [:]
    private var closed = false
    private var sendOrder = 0
    /// Held while a NEG-OPEN is marked and sent, so the order of marks is the wire order.
    public init() {}

    public let negentropyOpenGate = AsyncSlots(capacity: 1)

    /// Registers `subscriptionID` (before its REQ/NEG-OPEN is sent, so nothing is missed;
    /// decisions: Register before you request) and returns its deliveries.
    public func register(_ subscriptionID: String, now: Double, timeout: Double) -> AsyncStream<Delivery> {
        let (stream, continuation) = AsyncStream<Delivery>.makeStream()
        let alreadyClosed: Bool = lock.withLock {
            if closed { return true }
            waiters[subscriptionID]?.continuation.finish()
            waiters[subscriptionID] = Waiter(continuation: continuation, deadline: now + timeout, timeout: timeout)
            return false
        }
        if alreadyClosed {
            continuation.yield(.disconnected)
            continuation.finish()
        }
        return stream
    }

    /// Marks `subscriptionID` (registered) as a NEG-OPEN about to be sent: NOTICEs go to the
    /// oldest such session until a reply with its id arrives.
    public func markAwaitingFirstReply(_ subscriptionID: String) {
        lock.withLock {
            sendOrder += 1
            waiters[subscriptionID]?.awaitingFirstReply = sendOrder
        }
    }

    public func unregister(_ subscriptionID: String) {
        let w = lock.withLock { waiters.removeValue(forKey: subscriptionID) }
        w?.continuation.finish()
    }

    /// Delivers a message; returns whether a waiter took it. Any delivery counts as progress.
    @discardableResult
    public func route(_ message: RelayMessage, now: Double) -> Bool {
        if case .notice = message {
            let oldest: AsyncStream<Delivery>.Continuation? = lock.withLock {
                waiters.values.filter { $0.awaitingFirstReply != nil }.min { $0.awaitingFirstReply! < $1.awaitingFirstReply! }?.continuation
            }
            oldest?.yield(.message(message))
            return oldest != nil
        }
        guard let id = Self.subscriptionID(of: message) else { return false }
        let c: AsyncStream<Delivery>.Continuation? = lock.withLock {
            guard var w = waiters[id] else { return nil }
            w.awaitingFirstReply = nil
            w.deadline = now + w.timeout
            waiters[id] = w
            return w.continuation
        }
        c?.yield(.message(message))
        return c != nil
    }

    /// Fires `.timeout` for every waiter past its deadline (each fires once per timeout period).
    public func expire(now: Double) {
        let due: [AsyncStream<Delivery>.Continuation] = lock.withLock {
            var out: [AsyncStream<Delivery>.Continuation] = []
            for (id, var w) in waiters where w.deadline <= now {
                out.append(w.continuation)
                w.deadline = now + w.timeout
                waiters[id] = w
            }
            return out
        }
        for c in due { c.yield(.timeout) }
    }

    /// Ends every waiter with `.disconnected`; later registrations end at once.
    public func closeAll() {
        let all: [AsyncStream<Delivery>.Continuation] = lock.withLock {
            closed = true
            defer { waiters.removeAll() }
            return waiters.values.map(\.continuation)
        }
        for c in all {
            c.yield(.disconnected)
            c.finish()
        }
    }

    public var count: Int { lock.withLock { waiters.count } }

    public static func subscriptionID(of message: RelayMessage) -> String? {
        switch message {
        case .event(let id, _), .eose(let id), .closed(let id, _), .negMsg(let id, _), .negErr(let id, _, _), .count(let id, _):
            return id
        default:
            return nil
        }
    }
}
