import Foundation
import Nostr

/// Fans newly stored events out to any number of `AsyncStream` subscribers.
///
/// Subscribers get every event published after they subscribed, unbuffered-unbounded: the
/// store must never lose an event for the self-subscriber. Consumers that may be slow and
/// untrusted (served WebSocket clients) bound their own queues.
public final class EventBroadcaster: @unchecked Sendable {
    private let lock = NSLock()
    private var continuations: [UInt64: AsyncStream<NostrEvent>.Continuation] = [:]
    private var nextID: UInt64 = 0
    private var published = 0

    public init() {}

    /// A new stream of events published from now on; it ends when the consumer stops iterating.
    /// With `bufferLimit`, the stream is finished as soon as an event would be dropped, so a
    /// slow consumer learns it fell behind instead of silently missing events.
    public func subscribe(bufferLimit: Int? = nil) -> AsyncStream<NostrEvent> {
        let policy: AsyncStream<NostrEvent>.Continuation.BufferingPolicy = bufferLimit.map { .bufferingOldest($0) } ?? .unbounded
        let (stream, continuation) = AsyncStream<NostrEvent>.makeStream(bufferingPolicy: policy)
        let id: UInt64 = lock.withLock {
            nextID += 1
            continuations[nextID] = continuation
            return nextID
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            _ = self.lock.withLock { self.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    /// Delivers `event` to every current subscriber.
    public func publish(_ event: NostrEvent) {
        let targets = lock.withLock {
            published += 1
            return Array(continuations.values)
        }
        for c in targets {
            if case .dropped = c.yield(event) { c.finish() }
        }
    }

    /// Events published so far (lets a consumer tell whether it has caught up).
    public var publishedCount: Int { lock.withLock { published } }

    /// Number of live subscribers.
    public var subscriberCount: Int { lock.withLock { continuations.count } }

    /// Ends every stream (shutdown).
    public func finishAll() {
        let targets = lock.withLock { () -> [AsyncStream<NostrEvent>.Continuation] in
            defer { continuations.removeAll() }
            return Array(continuations.values)
        }
        for c in targets { c.finish() }
    }
}
