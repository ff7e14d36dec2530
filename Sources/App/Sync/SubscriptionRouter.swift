import Foundation
import Nostr

/// Routes a connection's inbound messages to the historic requests and NIP-77 sessions
/// waiting for them, by subscription id. NOTICEs go to every waiter (a NIP-77 refusal often
/// comes as a NOTICE). Deadlines are checked by `expire(now:)` from the coordinator's tick,
/// so tests drive timeouts in virtual time.
final class SubscriptionRouter: @unchecked Sendable {
    enum Delivery: Sendable, Equatable {
        case message(RelayMessage)
        /// No progress before the deadline.
        case timeout
        /// The connection ended.
        case disconnected
    }

    private struct Waiter {
        var continuation: AsyncStream<Delivery>.Continuation
        var deadline: Double
        var timeout: Double
    }

    private let lock = NSLock()
    private var waiters: [String: Waiter] = [:]
    private var closed = false

    /// Registers `subscriptionID` (before its REQ/NEG-OPEN is sent, so nothing is missed: W7)
    /// and returns its deliveries.
    func register(_ subscriptionID: String, now: Double, timeout: Double) -> AsyncStream<Delivery> {
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

    func unregister(_ subscriptionID: String) {
        let w = lock.withLock { waiters.removeValue(forKey: subscriptionID) }
        w?.continuation.finish()
    }

    /// Delivers a message; returns whether a waiter took it. Any delivery counts as progress.
    @discardableResult
    func route(_ message: RelayMessage, now: Double) -> Bool {
        if case .notice = message {
            let all: [AsyncStream<Delivery>.Continuation] = lock.withLock { waiters.values.map(\.continuation) }
            for c in all { c.yield(.message(message)) }
            return !all.isEmpty
        }
        guard let id = Self.subscriptionID(of: message) else { return false }
        let c: AsyncStream<Delivery>.Continuation? = lock.withLock {
            guard var w = waiters[id] else { return nil }
            w.deadline = now + w.timeout
            waiters[id] = w
            return w.continuation
        }
        c?.yield(.message(message))
        return c != nil
    }

    /// Fires `.timeout` for every waiter past its deadline (each fires once per timeout period).
    func expire(now: Double) {
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
    func closeAll() {
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

    var count: Int { lock.withLock { waiters.count } }

    static func subscriptionID(of message: RelayMessage) -> String? {
        switch message {
        case .event(let id, _), .eose(let id), .closed(let id, _), .negMsg(let id, _), .negErr(let id, _, _), .count(let id, _):
            return id
        default:
            return nil
        }
    }
}
