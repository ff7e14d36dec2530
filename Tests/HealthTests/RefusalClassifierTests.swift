import Health
import Nostr
import Testing

/// The one refusal classifier, against the exact texts real relays send (field notes §4.2,
/// §5: strfry, rust-nostr's LocalRelay, relays without NIP-77).
@Suite struct RefusalClassifierTests {
    static let table: [(String, RelayRefusal)] = [
        // strfry, default configuration
        ("ERROR: bad req: error parsing #a: total filter items too large", .tooLarge),
        ("ERROR: bad req: error parsing #q: total filter items too large", .tooLarge),
        ("ERROR: negentropy error: error parsing #q: total filter items too large", .tooLarge),
        ("ERROR: bad req: too many filters", .tooLarge),
        ("ERROR: bad req: too many tags in filter", .tooLarge),
        ("blocked: too many query results", .tooManyResults),
        ("closed: unknown subscription handle", .closed),
        ("ERROR: negentropy error: invalid hex", .error),
        ("ERROR: too many concurrent REQs", .subscriptionCap),
        ("ERROR: bad msg: negentropy disabled", .negentropyUnsupported),
        // rust-nostr LocalRelay
        ("rate-limited: too many negentropy items", .tooManyResults),
        ("rate-limited: too many queries", .rateLimited),
        // relays without NIP-77
        ("ERROR: unknown command", .negentropyUnsupported),
        ("could not parse command", .negentropyUnsupported),
        ("Invalid enum value NEG-OPEN", .negentropyUnsupported),
        ("Command unrecognized", .negentropyUnsupported),
        ("bad message type", .negentropyUnsupported),
        // subscription caps and rate limits elsewhere
        ("error: too many subscriptions", .subscriptionCap),
        ("max subscriptions reached", .subscriptionCap),
        ("rate-limited: slow down", .rateLimited),
        ("you are being rate limited", .rateLimited),
        ("slow down, too many messages", .rateLimited),
        // neither
        ("welcome to the relay", .informational),
        ("", .informational),
        ("invalid: event signature", .error),
    ]

    @Test(arguments: table)
    func classifies(_ text: String, _ expected: RelayRefusal) {
        #expect(RefusalClassifier.classify(text) == expected, "\(text)")
    }

    /// Size and cap refusals say "too many" but are not rate limits: the health tracker must
    /// not back off from a relay for them (waiting would not help, splitting does).
    @Test(arguments: [
        "ERROR: bad req: too many filters", "ERROR: bad req: too many tags in filter", "ERROR: too many concurrent REQs",
        "blocked: too many query results", "ERROR: bad req: error parsing #a: total filter items too large",
    ])
    func structuralRefusalsAreNoRateLimit(_ text: String) {
        #expect(!RateLimitClassifier.isRateLimit(closedReason: text))
        #expect(!RateLimitClassifier.isRateLimit(notice: text))
    }
}
