import Foundation

extension HealthConfiguration {
    /// The nominal (un-jittered) backoff after `failures` consecutive failures:
    /// `min(baseBackoff × 2^(failures − 1), maxBackoff)`, and 0 for no failures.
    ///
    /// With the defaults (base 5 s, max 3600 s):
    ///
    /// | failures | 1 | 2  | 3  | 4  | 5  | 6   | 7   | 8   | 9    | 10   | ≥ 11 |
    /// |----------|---|----|----|----|----|-----|-----|-----|------|------|------|
    /// | delay, s | 5 | 10 | 20 | 40 | 80 | 160 | 320 | 640 | 1280 | 2560 | 3600 |
    public func backoff(afterFailures failures: Int) -> Double {
        guard failures > 0 else { return 0 }
        // The exponent is clamped so huge failure counts saturate at +inf (then the cap)
        // instead of trapping on integer overflow.
        let doubled = baseBackoff * pow(2.0, Double(min(failures - 1, 1_000)))
        return min(doubled, maxBackoff)
    }

    /// Applies ± ``jitterFraction`` jitter to `delay`.
    ///
    /// - Parameter sample: a uniform random sample in `[0, 1)` (clamped into `[0, 1]`); `0`
    ///   gives the shortest delay, `0.5` the nominal delay, values near `1` the longest.
    /// - Returns: `delay × (1 + jitterFraction × (2 × sample − 1))`, in
    ///   `[delay × (1 − f), delay × (1 + f)]`.
    ///
    /// Jitter is applied after the ``maxBackoff`` cap, on purpose: relays that have all
    /// reached the cap would otherwise retry in lockstep exactly once an hour.
    public func jittered(_ delay: Double, sample: Double) -> Double {
        let unit = min(max(sample, 0), 1)
        return delay * (1 + jitterFraction * (2 * unit - 1))
    }

    /// The cooldown of the `strike`-th rate limit in a row (1-based):
    /// `min(rateLimitCooldown × 2^(strike − 1), maxRateLimitCooldown)`.
    ///
    /// With the defaults: 65, 130, 260, 520, 1040, 1800, 1800, … s.
    public func cooldown(forStrike strike: Int) -> Double {
        guard strike > 0 else { return 0 }
        let doubled = rateLimitCooldown * pow(2.0, Double(min(strike - 1, 1_000)))
        return min(doubled, maxRateLimitCooldown)
    }
}
