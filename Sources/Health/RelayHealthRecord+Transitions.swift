extension RelayHealthRecord {
    /// Why a failure got the retry delay it got.
    enum RetryReason: Equatable {
        case backoff
        case misconfiguration
        case dead
    }

    /// Applies the stability-period reset if it is due at `now`; returns whether it was.
    ///
    /// Called before every event and by the tick, so the stored record catches up with
    /// what the derived queries already report.
    mutating func settle(at now: Double, _ configuration: HealthConfiguration) -> Bool {
        guard consecutiveFailures > 0, isStable(at: now, configuration) else { return false }
        consecutiveFailures = 0
        failureStreakStart = nil
        retryNotBefore = nil
        return true
    }

    mutating func recordAttempt(at now: Double) {
        lastAttemptAt = now
    }

    /// A connection was established.
    ///
    /// Ends the failure streak (so the relay is no longer dead) and the failure backoff,
    /// but keeps the failure count until the connection has been stable for the stability
    /// period. A success while already connected changes nothing but `lastSuccessAt`, so
    /// the stability period is not restarted by repeated notifications.
    mutating func recordSuccess(at now: Double) {
        if !isConnected {
            isConnected = true
            connectedSince = now
        }
        failureStreakStart = nil
        retryNotBefore = nil
        lastSuccessAt = now
        lastAttemptAt = now
    }

    /// A connection attempt failed, or an established connection ended unexpectedly.
    ///
    /// - Parameter jitterSample: uniform random sample in `[0, 1)` for the backoff jitter.
    /// - Returns: the reason for the delay; the new `retryNotBefore` is set.
    mutating func recordFailure(
        kind: ConnectionFailureKind, message: String?, at now: Double, jitterSample: Double,
        _ configuration: HealthConfiguration
    ) -> RetryReason {
        isConnected = false
        connectedSince = nil
        let streakStart = failureStreakStart ?? now
        failureStreakStart = streakStart
        consecutiveFailures += 1
        lastFailureAt = now
        lastFailureKind = kind
        lastError = message ?? kind.summary
        lastErrorAt = now

        let reason: RetryReason
        let delay: Double
        if now - streakStart >= configuration.deadThreshold {
            // Dead: exactly one attempt per dead-retry interval, no jitter (the slot is a day
            // wide already, and tests and operators can predict it).
            reason = .dead
            delay = configuration.deadRetryInterval
        } else {
            let backoff = configuration.jittered(
                configuration.backoff(afterFailures: consecutiveFailures), sample: jitterSample)
            if kind.isPersistentMisconfiguration {
                // Jitter only upwards from the floor, so the wait is never below it.
                let floor = configuration.misconfigurationMinimumDelay
                    * (1 + configuration.jitterFraction * min(max(jitterSample, 0), 1))
                reason = .misconfiguration
                delay = max(backoff, floor)
            } else {
                reason = .backoff
                delay = backoff
            }
        }
        // Never bring a scheduled retry forward: a failure reported late (an attempt that
        // started before a longer wait was scheduled) must not shorten that wait.
        retryNotBefore = max(retryNotBefore ?? now, now + delay)
        return reason
    }

    /// We closed the connection on purpose (relay no longer needed, shutdown). Not a
    /// failure: the count is neither increased nor forgiven.
    mutating func recordDisconnect() {
        isConnected = false
        connectedSince = nil
    }

    /// The relay signalled rate limiting.
    ///
    /// - Returns: the new cooldown in seconds, or `nil` if a cooldown was already running.
    ///   Signals during a running cooldown belong to the same episode: a relay typically
    ///   answers a burst with several CLOSED/OK/NOTICE messages at once, and counting each
    ///   would escalate straight to the cap.
    mutating func recordRateLimit(reason: String?, at now: Double, _ configuration: HealthConfiguration) -> Double? {
        lastRateLimitAt = now
        if let reason {
            lastError = reason
            lastErrorAt = now
        }
        if isRateLimited(at: now) { return nil }
        if let previousEnd = rateLimitUntil, now - previousEnd < configuration.rateLimitMemory {
            rateLimitStrikes += 1
        } else {
            rateLimitStrikes = 1
        }
        let cooldown = configuration.cooldown(forStrike: rateLimitStrikes)
        rateLimitUntil = now + cooldown
        rateLimitEndPending = true
        return cooldown
    }

    /// Reports (once) that the cooldown has ended at `now`.
    mutating func expireRateLimit(at now: Double) -> Bool {
        guard rateLimitEndPending, !isRateLimited(at: now) else { return false }
        rateLimitEndPending = false
        return true
    }
}
