import Health

/// What the health tracker's actions told the engine about one relay: when the next
/// connection attempt is allowed (``RelayHealthStateMachine/FailureAction``) and until when
/// a rate-limit cooldown holds back new work (``RelayHealthStateMachine/RateLimitAction``,
/// ended by the tracker's tick). The engine consults these instead of polling the tracker.
struct RelayHealthGates: Sendable, Equatable {
    /// No attempt before this instant (a failure's backoff); nil after a success.
    private(set) var retryAt: Double?
    /// The running cooldown's end; nil when none runs.
    private(set) var rateLimitedUntil: Double?

    /// A connection attempt or connection failed: wait for the tracker's retry time.
    mutating func failed(_ action: RelayHealthStateMachine.FailureAction) {
        retryAt = action.retryAt
    }

    /// A connection was established: the failure backoff is over.
    mutating func succeeded() {
        retryAt = nil
    }

    /// The relay signalled a rate limit: hold back until the cooldown's end.
    mutating func rateLimited(_ action: RelayHealthStateMachine.RateLimitAction) {
        rateLimitedUntil = max(rateLimitedUntil ?? action.until, action.until)
    }

    /// The tracker's tick reported the cooldown's end.
    mutating func rateLimitEnded() {
        rateLimitedUntil = nil
    }

    /// Whether a cooldown holds back new work at `now`.
    func isRateLimited(at now: Double) -> Bool {
        rateLimitedUntil.map { now < $0 } ?? false
    }

    /// Whether a connection attempt is allowed at `now`: past the failure backoff and out
    /// of any cooldown.
    func mayAttempt(at now: Double) -> Bool {
        if let retryAt, now < retryAt { return false }
        return !isRateLimited(at: now)
    }
}
