extension RelayHealthStateMachine {
    /// What a recorded connection success means for the caller.
    public enum SuccessAction: Sendable, Equatable {
        /// No failures outstanding: the relay is ``RelayHealthStatus/healthy``.
        case healthy
        /// Earlier failures are forgiven only if the connection stays up until `stableAt`;
        /// until then the relay is ``RelayHealthStatus/degraded``.
        case stabilizing(stableAt: Double)
        /// As ``stabilizing(stableAt:)``, and the relay was ``RelayHealthStatus/dead`` until
        /// now (worth an info log).
        case recoveredFromDead(stableAt: Double)
    }

    /// When to retry after a recorded failure, and why.
    public enum FailureAction: Sendable, Equatable {
        /// Transient failure: exponential backoff with jitter.
        case retry(at: Double, consecutiveFailures: Int)
        /// Persistent misconfiguration: at least an hour. `newlyListed` is true when the
        /// relay has just been put on the naughty list (log a warning; otherwise debug).
        case retryMisconfigured(at: Double, category: MisconfigurationCategory, newlyListed: Bool)
        /// The relay has been failing for the dead threshold: one attempt per dead-retry
        /// interval.
        case retryDead(at: Double)

        /// The earliest instant of the next attempt.
        public var retryAt: Double {
            switch self {
            case .retry(let at, _), .retryMisconfigured(let at, _, _), .retryDead(let at): at
            }
        }
    }

    /// The effect of a recorded rate-limit signal.
    public enum RateLimitAction: Sendable, Equatable {
        /// A new cooldown of `cooldown` seconds runs until `until`; `strike` counts the
        /// repeats that escalated it (1 for a first or long-forgotten rate limit). Hold back
        /// new subscriptions and pagination until `until`.
        case cooldownStarted(until: Double, cooldown: Double, strike: Int)
        /// The signal belongs to the cooldown already running until `until`.
        case alreadyCoolingDown(until: Double)

        /// The end of the cooldown in force.
        public var until: Double {
            switch self {
            case .cooldownStarted(let until, _, _), .alreadyCoolingDown(let until): until
            }
        }
    }

    /// What the periodic tick found.
    public struct TickResult: Sendable, Equatable {
        /// Relays whose cooldown ended since the last tick (sorted): recompute and resubmit
        /// their filters, since additions were held back during the cooldown.
        public var rateLimitsEnded: [String] = []
        /// Relays whose failure count was just forgiven after the stability period (sorted).
        public var stabilized: [String] = []
        /// Relays whose naughty-list entry expired (sorted).
        public var naughtyExpired: [String] = []

        /// Creates a result; all lists default to empty.
        public init(rateLimitsEnded: [String] = [], stabilized: [String] = [], naughtyExpired: [String] = []) {
            self.rateLimitsEnded = rateLimitsEnded
            self.stabilized = stabilized
            self.naughtyExpired = naughtyExpired
        }
    }
}
