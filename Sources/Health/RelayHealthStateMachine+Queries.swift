extension RelayHealthStateMachine {
    /// The derived status of `url` at `now`; ``RelayHealthStatus/disconnected`` if untracked.
    /// Its raw value is the `ngit_sync_relay_status` gauge.
    public func status(of url: String, at now: Double) -> RelayHealthStatus {
        records[url]?.status(at: now, configuration) ?? .disconnected
    }

    /// Whether a connection attempt to `url` is allowed at `now`: no failure backoff and no
    /// rate-limit cooldown pending. An untracked relay may always be attempted.
    ///
    /// This is the timing gate only; whether the relay needs a connection at all is the
    /// coordinator's decision.
    public func canAttempt(_ url: String, at now: Double) -> Bool {
        nextAttemptAt(url, at: now) == nil
    }

    /// The earliest instant an attempt to `url` is allowed, or `nil` if one is allowed at
    /// `now`.
    public func nextAttemptAt(_ url: String, at now: Double) -> Double? {
        records[url]?.nextAttemptAt(at: now)
    }

    /// Failures of `url` not yet forgiven at `now` (the `ngit_sync_relay_failures` gauge).
    public func consecutiveFailures(of url: String, at now: Double) -> Int {
        records[url]?.effectiveFailures(at: now, configuration) ?? 0
    }

    /// The text of the most recent failure or rate-limit signal of `url`, kept after
    /// recovery so `/status` can show what last went wrong.
    public func lastError(of url: String) -> String? {
        records[url]?.lastError
    }

    /// Whether a rate-limit cooldown of `url` is running at `now` (time-checked, unlike the
    /// reference's raw flag, so no one waits for a tick to clear it).
    public func isRateLimited(_ url: String, at now: Double) -> Bool {
        records[url]?.isRateLimited(at: now) ?? false
    }

    /// The end of the running cooldown of `url`, or `nil` if none runs at `now`.
    public func rateLimitedUntil(_ url: String, at now: Double) -> Double? {
        records[url]?.activeRateLimitUntil(at: now)
    }

    /// The relays that are ``RelayHealthStatus/dead`` at `now`, sorted (the
    /// `ngit_sync_relays_dead_total` gauge is their count).
    ///
    /// Dead is derived from the failure streak alone, so a relay that is also rate-limited
    /// counts as dead here even though its status reports the rate limit first.
    public func deadRelays(at now: Double) -> [String] {
        records.values.filter { $0.isDead(at: now, configuration) }.map(\.url).sorted()
    }

    /// The number of tracked relays in each status at `now`; every status is present.
    public func statusCounts(at now: Double) -> [RelayHealthStatus: Int] {
        var counts = Dictionary(uniqueKeysWithValues: RelayHealthStatus.allCases.map { ($0, 0) })
        for record in records.values { counts[record.status(at: now, configuration), default: 0] += 1 }
        return counts
    }

    /// A snapshot of `url` for the `/status` document, or `nil` if untracked.
    public func snapshot(of url: String, at now: Double) -> RelayHealthSnapshot? {
        records[url].map { RelayHealthSnapshot($0, at: now, configuration, naughtyList) }
    }

    /// Snapshots of all tracked relays, sorted by URL.
    public func snapshots(at now: Double) -> [RelayHealthSnapshot] {
        records.keys.sorted().compactMap { snapshot(of: $0, at: now) }
    }
}
