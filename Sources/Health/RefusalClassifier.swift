import Nostr

/// The one place that reads meaning into relays' refusal texts (NOTICE, CLOSED and NEG-ERR
/// reasons, OK messages): every stage that acts on a refusal asks it.
///
/// The rules, on the lower-cased text, first match wins:
/// 1. too many results: `too many query results`, `too many results`, `too many negentropy
///    items`, `too many items` (strfry's `blocked:` NEG-ERR; rust-nostr says `rate-limited:`,
///    but waiting does not shrink a query, splitting its time window does);
/// 2. `rate-limited:` prefix: a rate limit;
/// 3. subscription cap: `too many concurrent reqs`, or `subscription` with `too many`, `max`,
///    `limit reached` or `exceeded`;
/// 4. too large: `too large`, `too big`, `too long`, `bad req`, `too many filters`, `too many
///    tags`, `filter items` (strfry: "ERROR: bad req: error parsing #q: total filter items too
///    large", and as a NOTICE to a NEG-OPEN: "ERROR: negentropy error: error parsing #q: ...");
/// 5. NIP-77 unsupported: ``negentropyUnsupportedKeywords`` (field notes §4.2: texts of relays
///    that do not speak NIP-77);
/// 6. rate limit by keyword (``RateLimitClassifier``);
/// 7. `closed:` prefix: the relay closed the session;
/// 8. an error (`error`, `invalid`, `failed`, `not allowed`, a `blocked:`/`restricted:` prefix);
/// 9. otherwise informational.
public enum RefusalClassifier {
    /// Texts of relays that do not speak NIP-77.
    public static let negentropyUnsupportedKeywords = [
        "unknown command", "unknown message", "unknown verb", "unrecognized", "could not parse command", "invalid enum value",
        "bad msg", "bad message", "disabled", "unsupported", "not supported", "not implemented", "neg-open", "negentropy is off",
    ]

    static let tooManyResultsKeywords = ["too many query results", "too many results", "too many negentropy items", "too many items"]
    static let tooLargeKeywords = ["too large", "too big", "too long", "bad req", "too many filters", "too many tags", "filter items"]
    static let errorKeywords = ["error", "invalid", "failed", "not allowed"]

    /// Classifies a refusal text.
    public static func classify(_ text: String) -> RelayRefusal {
        let lower = text.lowercased()
        let prefix = RateLimitClassifier.machinePrefix(of: lower)
        if tooManyResultsKeywords.contains(where: lower.contains) { return .tooManyResults }
        if prefix == RateLimitClassifier.prefix { return .rateLimited }
        if isSubscriptionCap(lower) { return .subscriptionCap }
        if tooLargeKeywords.contains(where: lower.contains) { return .tooLarge }
        if negentropyUnsupportedKeywords.contains(where: lower.contains) { return .negentropyUnsupported }
        if RateLimitClassifier.containsRateLimitKeywords(lower) { return .rateLimited }
        if prefix == "closed" { return .closed }
        if errorKeywords.contains(where: lower.contains) || prefix == "blocked" || prefix == "restricted" { return .error }
        return .informational
    }

    /// Whether the lower-cased text is about something other than a rate limit that the
    /// rate-limit keywords would otherwise catch ("too many filters", "too many concurrent
    /// REQs", "too many query results"): waiting does not help those.
    static func isStructural(_ lower: String) -> Bool {
        tooManyResultsKeywords.contains(where: lower.contains) || isSubscriptionCap(lower)
            || tooLargeKeywords.contains(where: lower.contains)
    }

    static func isSubscriptionCap(_ lower: String) -> Bool {
        if lower.contains("too many concurrent reqs") || lower.contains("too many open subs") { return true }
        guard lower.contains("subscription") else { return false }
        return lower.contains("too many") || lower.contains("max") || lower.contains("limit reached") || lower.contains("exceeded")
    }
}
