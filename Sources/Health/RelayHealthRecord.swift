/// What the health tracker knows about one relay (the reference's record, extended; decisions:
/// Health tracker).
///
/// All instants are Unix seconds handed in by the caller; the record never reads a clock.
/// Everything time-dependent (status, whether the stability period has passed, whether a
/// cooldown is running) is derived from these fields and a `now`, so a query at any virtual
/// time gives the same answer as a tick at that time would.
struct RelayHealthRecord: Sendable, Equatable {
    let url: String

    /// A connection is established (success recorded, no failure or disconnect since).
    var isConnected = false
    /// When the current connection was established; the stability period counts from here.
    var connectedSince: Double?

    /// Failures since the last *stable* connection. Unlike the reference, a successful
    /// connect does not reset this: only staying connected for the stability period does
    /// (decisions: A stability period that works), so a relay that accepts connections and
    /// drops them at once keeps backing off.
    var consecutiveFailures = 0
    /// Start of the current run of failures without a successful connection in between;
    /// the relay is dead once this is ``HealthConfiguration/deadThreshold`` old.
    var failureStreakStart: Double?
    var lastFailureAt: Double?
    var lastFailureKind: ConnectionFailureKind?
    var lastSuccessAt: Double?
    var lastAttemptAt: Double?

    /// No connection attempt before this instant (failure backoff).
    var retryNotBefore: Double?

    /// End of the most recent rate-limit cooldown. Kept after the cooldown ends, because
    /// the escalation of the next cooldown depends on how long ago it ended.
    var rateLimitUntil: Double?
    /// Set when a cooldown starts, cleared by the tick that reports its end; so every
    /// cooldown is reported as ended exactly once.
    var rateLimitEndPending = false
    /// Rate-limit episodes in a row, each within ``HealthConfiguration/rateLimitMemory``
    /// of the previous cooldown's end.
    var rateLimitStrikes = 0
    var lastRateLimitAt: Double?

    /// Text of the most recent failure or rate-limit signal, for `/status`.
    var lastError: String?
    var lastErrorAt: Double?

    init(url: String) {
        self.url = url
    }
}
