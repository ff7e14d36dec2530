import Health
import Testing

/// Rate-limit recognition: the reference's NOTICE keywords and the NIP-01 `rate-limited:` prefix
/// (decisions: Rate limits from every answer).
@Suite("Rate-limit classifier")
struct RateLimitClassifierTests {
    /// Each NOTICE keyword of the reference (`rate`+`limit`, `too many`, `slow down`,
    /// `throttl`), in several spellings and cases, plus the NIP-01 prefix.
    @Test(arguments: [
        "rate limit exceeded",
        "You are being RATE LIMITED",
        "rate-limited: please wait",
        "ratelimit hit, try later",
        "error: rate_limit reached",
        "too many requests",
        "ERROR: too many concurrent NEG requests",
        "please slow down",
        "SLOW DOWN!",
        "throttled",
        "Throttling in effect for your IP",
    ])
    func noticeKeywordsAreRecognised(text: String) {
        #expect(RateLimitClassifier.isRateLimit(notice: text))
    }

    @Test(arguments: [
        "",
        "hello from the relay",
        "ERROR: bad msg: negentropy disabled",
        "could not parse command",
        "auth-required: please authenticate",
        "invalid: event creation date is too far off from the current time",
        // The reference's substring test fires on these ("gene-rate", "accu-rate", "mode-rate").
        "please generate smaller events, size limit is 64kb",
        "accurate timestamps are required, limit is 10 minutes",
        "moderated relay: limit of one event per note",
        // A result-size cap, not a rate limit: waiting does not help.
        "blocked: too many query results",
        "too many results, narrow your filter",
        // Subscription caps and oversized requests (RefusalClassifier): consolidating or
        // splitting helps, waiting does not.
        "Too Many concurrent REQs",
        "ERROR: bad req: too many filters",
    ])
    func otherNoticesAreNotRateLimits(text: String) {
        #expect(RateLimitClassifier.isRateLimit(notice: text) == false)
    }

    @Test(arguments: [
        "rate-limited: slow down",
        "RATE-LIMITED: too fast",
        "  rate-limited: leading blanks",
        "rate-limited:",
        "rate-limited:no space",
        // Prefix-less or generic-prefix texts fall back to the keyword set.
        "error: too many requests",
        "slow down there, chief",
        "blocked: throttled, try again later",
    ])
    func closedReasonsThatAreRateLimits(reason: String) {
        #expect(RateLimitClassifier.isRateLimit(closedReason: reason))
        #expect(RateLimitClassifier.isRateLimit(okMessage: reason))
        #expect(RateLimitClassifier.isRateLimit(okAccepted: false, message: reason))
    }

    @Test(arguments: [
        "",
        "error: shutting down",
        "auth-required: we only serve authenticated users",
        "restricted: rate limits apply to guests, you are banned",
        // The relay named another reason: keywords in the text do not count.
        "invalid: too many tags",
        "duplicate: already have this event",
        "pow: difficulty 10 is less than 20, slow down",
        "mute: no one was listening to your reply",
        "blocked: too many query results",
        "closed: subscription expired",
        // A subscription cap: consolidating subscriptions helps, waiting does not.
        "blocked: too many open subscriptions (max 50)",
        "error: too many subscriptions",
    ])
    func closedReasonsThatAreNotRateLimits(reason: String) {
        #expect(RateLimitClassifier.isRateLimit(closedReason: reason) == false)
        #expect(RateLimitClassifier.isRateLimit(okMessage: reason) == false)
    }

    @Test func acceptedOKIsNeverARateLimit() {
        #expect(RateLimitClassifier.isRateLimit(okAccepted: true, message: "rate-limited: but stored") == false)
        #expect(RateLimitClassifier.isRateLimit(okAccepted: false, message: "rate-limited: not stored"))
    }

    @Test func prefixMatchesNIP01() {
        #expect(RateLimitClassifier.prefix == "rate-limited")
    }
}
