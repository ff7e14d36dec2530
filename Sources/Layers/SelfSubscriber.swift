import Nostr

/// The self-subscriber: follows the store's stream of accepted events and batches the ones
/// that change what the node wants (announcements, root events, deletions) in a window, so
/// a burst of them turns into one round of new filters.
///
/// It publishes on ``outputs``, in order, its progress after every event (how many it has
/// seen, how many wait in the window) and the batches an early flush released once it had
/// seen the events that flush was waiting for. Window flushes are asked for by the engine's
/// tick and returned directly.
public actor SelfSubscriber {
    /// What the self-subscriber publishes.
    public enum Output: Sendable, Equatable {
        /// Events seen so far, and how many of them wait in the window.
        case progress(seen: Int, buffered: Int)
        /// A batch released by an early flush.
        case batch([NostrEvent])
    }

    /// A flush's result: the batch (nil when nothing was released) and what still waits.
    public struct Flush: Sendable, Equatable {
        public var events: [NostrEvent]?
        public var buffered: Int
        /// Events seen when the flush happened (orders it against progress reports).
        public var seen: Int
    }

    public nonisolated let outputs: AsyncStream<Output>
    private let continuation: AsyncStream<Output>.Continuation
    private var accumulator: SelfSubscriberAccumulator
    private let clock: any NodeClock
    private var seen = 0
    /// Release the window's events as soon as this many events were seen.
    private var flushTarget: Int?
    private var reader: Task<Void, Never>?

    /// A self-subscriber batching over `window` seconds of `clock`.
    public init(window: Double, clock: any NodeClock) {
        accumulator = SelfSubscriberAccumulator(window: window)
        self.clock = clock
        (outputs, continuation) = AsyncStream<Output>.makeStream()
    }

    /// Follows `events` (the store's accepted events from now on); `seenAtStart` counts the
    /// events published before (covered by the engine's preload).
    public func follow(_ events: AsyncStream<NostrEvent>, seenAtStart: Int) {
        seen = seenAtStart
        reader?.cancel()
        reader = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.accepted(event)
            }
        }
    }

    /// One accepted event.
    func accepted(_ event: NostrEvent) {
        seen += 1
        if SelfSubscriberBatch.kinds.contains(event.kind) { accumulator.add(event, now: clock.now()) }
        if let target = flushTarget, seen >= target {
            flushTarget = nil
            if let batch = accumulator.flushNow() { continuation.yield(.batch(batch)) }
        }
        continuation.yield(.progress(seen: seen, buffered: accumulator.count))
    }

    /// Releases the window's events if its deadline has passed at `now`.
    public func flushIfDue(now: Double) -> Flush {
        let events = accumulator.flushIfDue(now: now)
        return Flush(events: events, buffered: accumulator.count, seen: seen)
    }

    /// Releases the window's events once `target` events have been seen: now (returned) when
    /// they have, else later as an ``Output/batch(_:)`` (a historic batch completed; its
    /// events must be in the batch so the next layer's filters go out at once).
    public func flushWhenSeen(_ target: Int) -> Flush {
        let goal = max(flushTarget ?? 0, target)
        guard seen >= goal else {
            flushTarget = goal
            return Flush(events: nil, buffered: accumulator.count, seen: seen)
        }
        flushTarget = nil
        let events = accumulator.flushNow()
        return Flush(events: events, buffered: accumulator.count, seen: seen)
    }

    /// Stops following the store and ends ``outputs``.
    public func stop() {
        reader?.cancel()
        reader = nil
        continuation.finish()
    }
}
