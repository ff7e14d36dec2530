extension RelayHealthStateMachine {
    /// Feeds a `NOTICE` from `url`; records a rate limit if ``RateLimitClassifier`` says so.
    /// - Returns: the rate-limit action, or `nil` if the text is not a rate limit.
    @discardableResult
    public mutating func observeNotice(_ url: String, text: String, at now: Double) -> RateLimitAction? {
        guard RateLimitClassifier.isRateLimit(notice: text) else { return nil }
        return recordRateLimit(url, reason: text, at: now)
    }

    /// Feeds the reason of a `CLOSED` from `url` (or of a NIP-77 `NEG-ERR`).
    /// - Returns: the rate-limit action, or `nil` if the reason is not a rate limit.
    @discardableResult
    public mutating func observeClosed(_ url: String, reason: String, at now: Double) -> RateLimitAction? {
        guard RateLimitClassifier.isRateLimit(closedReason: reason) else { return nil }
        return recordRateLimit(url, reason: reason, at: now)
    }

    /// Feeds an `OK` from `url`; only a rejection (`accepted == false`) can be a rate limit.
    /// - Returns: the rate-limit action, or `nil` if the message is not a rate limit.
    @discardableResult
    public mutating func observeOK(_ url: String, accepted: Bool, message: String, at now: Double) -> RateLimitAction? {
        guard RateLimitClassifier.isRateLimit(okAccepted: accepted, message: message) else { return nil }
        return recordRateLimit(url, reason: message, at: now)
    }

    /// Records a failure described only by its error text, classified by
    /// ``ConnectionFailureKind/init(classifying:)``.
    @discardableResult
    public mutating func recordFailure(
        _ url: String, errorText: String, at now: Double, jitterSample: Double = 0.5
    ) -> FailureAction {
        recordFailure(
            url, kind: ConnectionFailureKind(classifying: errorText), message: errorText, at: now,
            jitterSample: jitterSample)
    }
}
