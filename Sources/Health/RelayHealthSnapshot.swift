/// The health of one relay at one instant, for the `/status` JSON document.
///
/// Instants are Unix seconds (`Double`), `nil` when they never happened or no longer apply.
/// ``status`` encodes as its name (`"rate_limited"`); the metric value is
/// `status.rawValue`.
public struct RelayHealthSnapshot: Sendable, Equatable, Codable {
    /// The relay URL, as the coordinator keys it.
    public var url: String
    /// The derived status at ``takenAt``.
    public var status: RelayHealthStatus
    /// When the snapshot was taken.
    public var takenAt: Double
    /// Whether a connection is established.
    public var connected: Bool
    /// When the current connection was established.
    public var connectedSince: Double?
    /// When the current connection will have been stable long enough to forgive
    /// ``consecutiveFailures``; `nil` if nothing is waiting to be forgiven.
    public var stableAt: Double?
    /// Failures not yet forgiven (the `ngit_sync_relay_failures` gauge).
    public var consecutiveFailures: Int
    /// Start of the current failure streak (dead 24 h after it).
    public var failingSince: Double?
    public var lastFailureAt: Double?
    public var lastFailureKind: ConnectionFailureKind?
    public var lastSuccessAt: Double?
    public var lastAttemptAt: Double?
    /// Whether an attempt is allowed at ``takenAt``.
    public var canAttempt: Bool
    /// The earliest instant an attempt is allowed, `nil` if allowed now.
    public var nextAttemptAt: Double?
    /// End of the running rate-limit cooldown, `nil` if none.
    public var rateLimitedUntil: Double?
    /// Rate-limit episodes in a row that escalated the latest cooldown.
    public var rateLimitStrikes: Int
    public var lastRateLimitAt: Double?
    /// Text of the most recent failure or rate-limit signal.
    public var lastError: String?
    public var lastErrorAt: Double?
    /// The naughty-list category, if the relay is listed.
    public var misconfiguration: MisconfigurationCategory?

    init(
        _ record: RelayHealthRecord, at now: Double, _ configuration: HealthConfiguration,
        _ naughtyList: NaughtyList
    ) {
        let failures = record.effectiveFailures(at: now, configuration)
        url = record.url
        status = record.status(at: now, configuration)
        takenAt = now
        connected = record.isConnected
        connectedSince = record.connectedSince
        stableAt = failures > 0 ? record.connectedSince.map { $0 + configuration.stabilityPeriod } : nil
        consecutiveFailures = failures
        failingSince = failures > 0 ? record.failureStreakStart : nil
        lastFailureAt = record.lastFailureAt
        lastFailureKind = record.lastFailureKind
        lastSuccessAt = record.lastSuccessAt
        lastAttemptAt = record.lastAttemptAt
        nextAttemptAt = record.nextAttemptAt(at: now)
        canAttempt = nextAttemptAt == nil
        rateLimitedUntil = record.activeRateLimitUntil(at: now)
        rateLimitStrikes = record.rateLimitStrikes
        lastRateLimitAt = record.lastRateLimitAt
        lastError = record.lastError
        lastErrorAt = record.lastErrorAt
        misconfiguration = naughtyList.entry(for: record.url, at: now)?.category
    }
}
