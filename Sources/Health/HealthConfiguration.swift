/// The tunables of the relay health tracker, all in seconds.
///
/// The defaults are the reference values (decisions: Reference constants as defaults) plus the
/// escalation and jitter parameters this node adds on top of the reference (decisions: Rate
/// limits from every answer, Backoff with jitter, A stability period that works, Naughty
/// relays wait longer).
public struct HealthConfiguration: Sendable, Equatable {
    /// Delay after the first failure; the backoff doubles from here. Reference default 5 s
    /// (`NGIT_SYNC_BASE_BACKOFF_SECS`, also used as the connect timeout by Transport).
    public var baseBackoff: Double
    /// Upper bound of the exponential backoff before jitter. Reference default 3600 s
    /// (`NGIT_SYNC_MAX_BACKOFF_SECS`).
    public var maxBackoff: Double
    /// Relative jitter applied to every backoff delay: `0.2` spreads a delay `d` over
    /// `[0.8 d, 1.2 d)`, so relays that failed together do not retry in lockstep.
    public var jitterFraction: Double
    /// How long a failure streak must last before the relay is considered dead (24 h).
    public var deadThreshold: Double
    /// The retry interval of a dead relay: one attempt per this many seconds (24 h).
    public var deadRetryInterval: Double
    /// How long a connection must stay up after failures before the failure count is
    /// forgiven (300 s). Until then the relay reports ``RelayHealthStatus/degraded``.
    public var stabilityPeriod: Double
    /// Cooldown after the first rate-limit signal of an episode (65 s: just over the common
    /// one-minute window of relay rate limiters).
    public var rateLimitCooldown: Double
    /// Cap of the escalating rate-limit cooldown (30 min).
    public var maxRateLimitCooldown: Double
    /// How long after a cooldown ended another rate limit still counts as a repeat and doubles
    /// the cooldown (1 h). After that much quiet the escalation starts over at
    /// ``rateLimitCooldown``.
    public var rateLimitMemory: Double
    /// The minimum delay after a failure that looks like persistent misconfiguration (DNS,
    /// TLS certificate, protocol): retrying such a relay every few seconds only produces noise.
    public var misconfigurationMinimumDelay: Double
    /// How long a misconfigured relay stays on the naughty list, measured from its first
    /// listing (12 h, `NGIT_NAUGHTY_LIST_EXPIRATION_HOURS`).
    public var naughtyListExpiry: Double

    /// Creates a configuration; every parameter defaults to the reference value.
    public init(
        baseBackoff: Double = 5,
        maxBackoff: Double = 3600,
        jitterFraction: Double = 0.2,
        deadThreshold: Double = 86_400,
        deadRetryInterval: Double = 86_400,
        stabilityPeriod: Double = 300,
        rateLimitCooldown: Double = 65,
        maxRateLimitCooldown: Double = 1800,
        rateLimitMemory: Double = 3600,
        misconfigurationMinimumDelay: Double = 3600,
        naughtyListExpiry: Double = 43_200
    ) {
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
        self.jitterFraction = jitterFraction
        self.deadThreshold = deadThreshold
        self.deadRetryInterval = deadRetryInterval
        self.stabilityPeriod = stabilityPeriod
        self.rateLimitCooldown = rateLimitCooldown
        self.maxRateLimitCooldown = maxRateLimitCooldown
        self.rateLimitMemory = rateLimitMemory
        self.misconfigurationMinimumDelay = misconfigurationMinimumDelay
        self.naughtyListExpiry = naughtyListExpiry
    }
}
