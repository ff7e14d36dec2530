/// A token bucket: holds up to `capacity` tokens, refills at `refillPerSecond`, and each
/// admitted action takes one. Time is an input (seconds on any monotonic-enough scale), so
/// tests drive it without waiting; a clock that steps back refills nothing.
public struct TokenBucket: Sendable, Equatable {
    /// Most tokens held (the burst allowed after a quiet period).
    public let capacity: Double
    /// Tokens added per second (the sustained rate).
    public let refillPerSecond: Double
    /// Tokens held at `updatedAt`.
    public private(set) var tokens: Double
    /// When `tokens` was last brought up to date.
    public private(set) var updatedAt: Double

    /// A full bucket at `now`.
    public init(capacity: Double, refillPerSecond: Double, now: Double) {
        self.capacity = max(0, capacity)
        self.refillPerSecond = max(0, refillPerSecond)
        self.tokens = self.capacity
        self.updatedAt = now
    }

    /// Takes one token if there is one at `now`; false (nothing taken) otherwise.
    public mutating func take(now: Double) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether a token is available at `now` (nothing taken).
    public func canTake(now: Double) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= 1
    }

    /// Whether the bucket is full at `now` (an idle client's bucket can be forgotten).
    public func isFull(now: Double) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= capacity
    }

    /// Seconds from `now` until one token is available (0 when one is), or nil when the
    /// bucket never refills.
    public func secondsUntilToken(now: Double) -> Double? {
        var copy = self
        copy.refill(now: now)
        if copy.tokens >= 1 { return 0 }
        guard refillPerSecond > 0 else { return nil }
        return (1 - copy.tokens) / refillPerSecond
    }

    private mutating func refill(now: Double) {
        let elapsed = now - updatedAt
        if elapsed > 0 {
            tokens = min(capacity, tokens + elapsed * refillPerSecond)
            updatedAt = now
        }
    }
}
