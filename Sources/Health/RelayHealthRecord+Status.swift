extension RelayHealthRecord {
    /// Whether the current connection has been up for the whole stability period.
    func isStable(at now: Double, _ configuration: HealthConfiguration) -> Bool {
        guard isConnected, let since = connectedSince else { return false }
        return now - since >= configuration.stabilityPeriod
    }

    /// Failures not yet forgiven at `now`: the stored count, or 0 once the connection has
    /// been stable (the reset itself is applied lazily by `settle`).
    func effectiveFailures(at now: Double, _ configuration: HealthConfiguration) -> Int {
        isStable(at: now, configuration) ? 0 : consecutiveFailures
    }

    /// Whether a rate-limit cooldown is running at `now`.
    func isRateLimited(at now: Double) -> Bool {
        guard let until = rateLimitUntil else { return false }
        return now < until
    }

    /// The end of the running cooldown, or `nil` if none is running at `now`.
    func activeRateLimitUntil(at now: Double) -> Double? {
        isRateLimited(at: now) ? rateLimitUntil : nil
    }

    /// Whether the failure streak has lasted the dead threshold at `now`.
    ///
    /// A successful connect ends the streak, so a connected relay is never dead.
    func isDead(at now: Double, _ configuration: HealthConfiguration) -> Bool {
        guard !isConnected, let start = failureStreakStart else { return false }
        return now - start >= configuration.deadThreshold
    }

    /// The derived status, first matching rule wins (see ``RelayHealthStatus``).
    func status(at now: Double, _ configuration: HealthConfiguration) -> RelayHealthStatus {
        if isRateLimited(at: now) { return .rateLimited }
        if isDead(at: now, configuration) { return .dead }
        if effectiveFailures(at: now, configuration) > 0 { return .degraded }
        return isConnected ? .healthy : .disconnected
    }

    /// The earliest instant a connection attempt is allowed, or `nil` if one is allowed at
    /// `now`. Both the failure backoff and a running rate-limit cooldown gate attempts.
    func nextAttemptAt(at now: Double) -> Double? {
        let gates = [retryNotBefore, activeRateLimitUntil(at: now)].compactMap { $0 }
        guard let latest = gates.max(), latest > now else { return nil }
        return latest
    }
}
