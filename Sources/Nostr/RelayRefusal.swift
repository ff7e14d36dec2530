/// What a relay's refusal text (a `NOTICE`, the reason of a `CLOSED` or `NEG-ERR`, the message
/// of an `OK false`) asks of the client. The classification itself lives in Health
/// (`RefusalClassifier`); this type is shared so stages that cannot import Health (Reconcile)
/// can act on a classifier injected into them.
public enum RelayRefusal: Sendable, Equatable, Hashable {
    /// The request was too big for the relay ("total filter items too large", "bad req",
    /// "too many filters"): split the filter's values and retry.
    case tooLarge
    /// The filter matches more results than the relay will reconcile or return ("blocked: too
    /// many query results", "too many negentropy items"): split the time window.
    case tooManyResults
    /// The relay does not do NIP-77 ("unknown command", "negentropy disabled", ...).
    case negentropyUnsupported
    /// The relay has no room for another subscription: consolidate subscriptions.
    case subscriptionCap
    /// Slow down: wait for the rate-limit cooldown, then retry.
    case rateLimited
    /// The relay closed a session (`closed:`: idle timeout, unknown handle).
    case closed
    /// Some other error the relay reports (the request failed, nothing to learn from it).
    case error
    /// Not a refusal at all (a greeting, chatter).
    case informational
}
