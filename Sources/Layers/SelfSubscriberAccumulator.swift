import Nostr

/// The self-subscriber's batching window, in virtual time (decisions: Self-subscriber window).
///
/// Events are collected as they arrive; ``flushIfDue(now:)`` hands the batch out once
/// ``window`` seconds have passed since the **first** pending event (later arrivals do not
/// push the deadline back, so a steady stream still flushes every window). Times are
/// seconds on any monotonic clock the caller reads; the accumulator never reads a clock.
/// Events with an id already pending are kept once.
public struct SelfSubscriberAccumulator: Sendable {
    /// Seconds between the first pending event and the flush.
    public let window: Double
    private var pending: [NostrEvent] = []
    private var pendingIDs: Set<String> = []
    private var firstArrival: Double?

    /// - Parameter window: the batching window in seconds (reference: 5 s, 0.2 s in test mode).
    public init(window: Double = 5) {
        self.window = window
    }

    /// Adds an event that arrived at `now`.
    public mutating func add(_ e: NostrEvent, now: Double) {
        guard pendingIDs.insert(e.id).inserted else { return }
        if firstArrival == nil { firstArrival = now }
        pending.append(e)
    }

    /// The pending batch (in arrival order) when ``window`` has passed since the first pending
    /// event, else nil. A returned batch is removed from the accumulator.
    public mutating func flushIfDue(now: Double) -> [NostrEvent]? {
        guard let deadline = nextDeadline, now >= deadline else { return nil }
        defer {
            pending = []
            pendingIDs = []
            firstArrival = nil
        }
        return pending
    }

    /// The pending batch now, window or not (a historic batch that brought announcements or
    /// root events just completed: waiting for the window would only delay the next layer);
    /// nil when nothing is pending.
    public mutating func flushNow() -> [NostrEvent]? {
        guard !pending.isEmpty else { return nil }
        defer {
            pending = []
            pendingIDs = []
            firstArrival = nil
        }
        return pending
    }

    /// When the pending batch becomes due; nil when nothing is pending.
    public var nextDeadline: Double? { firstArrival.map { $0 + window } }

    /// Whether nothing is pending.
    public var isEmpty: Bool { pending.isEmpty }

    /// Number of pending events.
    public var count: Int { pending.count }
}
