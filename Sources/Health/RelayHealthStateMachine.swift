/// The relay health tracker (decisions: Health tracker) as a pure, synchronous state machine over all
/// tracked relays.
///
/// Every event and query takes the current time as a value (`at now:`, Unix seconds) and
/// every random choice as a sample (`jitterSample:`), so the machine never reads a clock or
/// a random source and can be driven through days of virtual time in a unit test.
/// ``RelayHealthTracker`` wraps it in an actor with a real clock and random source.
///
/// Events return an action describing what the caller should do (schedule a retry, log a
/// newly misconfigured relay, recompute filters after a cooldown); the machine itself does
/// no I/O.
///
/// Differences from the reference, on purpose:
/// - backoff delays carry ± ``HealthConfiguration/jitterFraction`` jitter (decisions: Backoff with
///   jitter);
/// - the stability period works: a success keeps the failure count until the connection has
///   been up for ``HealthConfiguration/stabilityPeriod``, and only then forgives it (decisions: A
///   stability period that works);
/// - failures classified as persistent misconfiguration wait at least
///   ``HealthConfiguration/misconfigurationMinimumDelay`` and feed the ``NaughtyList``
///   (decisions: Naughty relays wait longer);
/// - rate-limit cooldowns escalate on repeats and are tracked separately from the failure
///   backoff; a successful connect does not cancel a cooldown the relay asked for
///   (decisions: Rate limits from every answer);
/// - a relay the machine has never heard of is ``RelayHealthStatus/disconnected``, not
///   healthy.
public struct RelayHealthStateMachine: Sendable {
    /// The tunables.
    public let configuration: HealthConfiguration
    /// Per-relay records by URL.
    private(set) var records: [String: RelayHealthRecord] = [:]
    /// Relays with persistent-misconfiguration failures (decisions: Naughty list).
    public private(set) var naughtyList: NaughtyList

    /// Creates a machine tracking no relays.
    public init(configuration: HealthConfiguration = HealthConfiguration()) {
        self.configuration = configuration
        self.naughtyList = NaughtyList(expiry: configuration.naughtyListExpiry)
    }

    // MARK: - Membership

    /// Starts tracking `url` (as ``RelayHealthStatus/disconnected``) if it is not tracked
    /// yet. Events on an untracked relay register it implicitly.
    public mutating func register(_ url: String) {
        if records[url] == nil { records[url] = RelayHealthRecord(url: url) }
    }

    /// Forgets everything about `url`, including its naughty-list entry (the coordinator
    /// dropped the relay).
    public mutating func remove(_ url: String) {
        records[url] = nil
        naughtyList.remove(url)
    }

    /// The tracked relay URLs, sorted.
    public var trackedRelays: [String] { records.keys.sorted() }

    // MARK: - Events

    /// A connection attempt to `url` starts now.
    public mutating func recordAttempt(_ url: String, at now: Double) {
        update(url, at: now) { record, _ in record.recordAttempt(at: now) }
    }

    /// A connection to `url` was established.
    ///
    /// A success takes the relay off the naughty list (it evidently is not misconfigured any
    /// more) and ends any failure streak; its failure count is forgiven only once the
    /// connection has stayed up for the stability period (see ``SuccessAction``).
    @discardableResult
    public mutating func recordSuccess(_ url: String, at now: Double) -> SuccessAction {
        var wasDead = false
        let record = update(url, at: now) { record, configuration in
            wasDead = record.isDead(at: now, configuration)
            record.recordSuccess(at: now)
        }
        naughtyList.remove(url)
        guard record.consecutiveFailures > 0, let since = record.connectedSince else { return .healthy }
        let stableAt = since + configuration.stabilityPeriod
        return wasDead ? .recoveredFromDead(stableAt: stableAt) : .stabilizing(stableAt: stableAt)
    }

    /// A connection attempt to `url` failed, or its established connection ended
    /// unexpectedly (both count as failures, as in the reference).
    ///
    /// - Parameters:
    ///   - kind: what went wrong; persistent misconfiguration waits at least an hour.
    ///   - message: the error text for `/status` and the naughty list; defaults to a summary
    ///     of `kind`.
    ///   - now: the current time, Unix seconds.
    ///   - jitterSample: a uniform random sample in `[0, 1)`; `0.5` means no jitter.
    /// - Returns: when to retry, and why.
    @discardableResult
    public mutating func recordFailure(
        _ url: String, kind: ConnectionFailureKind, message: String? = nil, at now: Double,
        jitterSample: Double = 0.5
    ) -> FailureAction {
        var reason = RelayHealthRecord.RetryReason.backoff
        let record = update(url, at: now) { record, configuration in
            reason = record.recordFailure(
                kind: kind, message: message, at: now, jitterSample: jitterSample, configuration)
        }
        let retryAt = record.retryNotBefore ?? now
        // Misconfiguration is listed even for a dead relay, so the naughty-list metrics stay
        // truthful; only the retry delay differs.
        let listing = kind.misconfigurationCategory.map { category in
            (category, naughtyList.record(url, category: category, reason: record.lastError ?? kind.summary, at: now))
        }
        switch (reason, listing) {
        case (.dead, _):
            return .retryDead(at: retryAt)
        case (.misconfiguration, let (category, outcome)?):
            return .retryMisconfigured(at: retryAt, category: category, newlyListed: outcome == .new)
        case (.backoff, _), (.misconfiguration, nil):
            return .retry(at: retryAt, consecutiveFailures: record.consecutiveFailures)
        }
    }

    /// We closed the connection to `url` on purpose. Not a failure; nothing is forgiven
    /// either (the stability period needs an uninterrupted connection).
    public mutating func recordDisconnect(_ url: String, at now: Double) {
        update(url, at: now) { record, _ in record.recordDisconnect() }
    }

    /// `url` signalled rate limiting (NOTICE keywords, `rate-limited:` on CLOSED or OK).
    ///
    /// Starts a cooldown of 65 s, doubled for each repeat within an hour of the previous
    /// cooldown's end, capped at 30 min. While it runs, attempts are refused and the status
    /// is ``RelayHealthStatus/rateLimited``; the coordinator should also hold back new
    /// subscriptions and next pages. Signals arriving during a running cooldown are part of
    /// the same episode and change nothing but the last-error text.
    @discardableResult
    public mutating func recordRateLimit(_ url: String, reason: String? = nil, at now: Double) -> RateLimitAction {
        var cooldown: Double?
        let record = update(url, at: now) { record, configuration in
            cooldown = record.recordRateLimit(reason: reason, at: now, configuration)
        }
        let until = record.rateLimitUntil ?? now
        guard let cooldown else { return .alreadyCoolingDown(until: until) }
        return .cooldownStarted(until: until, cooldown: cooldown, strike: record.rateLimitStrikes)
    }

    /// The periodic step (the coordinator's 2 s tick): reports cooldowns that ended (their
    /// relays need a filter recompute; decisions: Health tracker), applies the stability reset, and
    /// expires naughty-list entries.
    public mutating func tick(at now: Double) -> TickResult {
        var result = TickResult()
        for url in records.keys.sorted() {
            guard var record = records[url] else { continue }
            if record.expireRateLimit(at: now) { result.rateLimitsEnded.append(url) }
            if record.settle(at: now, configuration) { result.stabilized.append(url) }
            records[url] = record
        }
        result.naughtyExpired = naughtyList.removeExpired(at: now)
        return result
    }

    /// Applies `change` to the record of `url` (creating it), after catching up with the
    /// stability period; returns the updated record. The configuration is passed in so the
    /// closure need not capture `self` while `self` is being mutated.
    @discardableResult
    private mutating func update(
        _ url: String, at now: Double, _ change: (inout RelayHealthRecord, HealthConfiguration) -> Void
    ) -> RelayHealthRecord {
        var record = records[url] ?? RelayHealthRecord(url: url)
        _ = record.settle(at: now, configuration)
        change(&record, configuration)
        records[url] = record
        return record
    }
}
