import Foundation

/// Recognises "you are being rate limited" in relay messages (decisions: Rate limits from
/// every answer).
///
/// The reference inspects NOTICE texts only. This node also honours the NIP-01
/// machine-readable `rate-limited:` prefix of `CLOSED` and `OK false` messages, and applies
/// the NOTICE keyword set to prefix-less CLOSED/OK texts as well, since many relays put free
/// text there.
///
/// The keyword set (all case-insensitive): `rate` and `limit` (with `rate` starting a word:
/// the reference's plain substring test also fires on "gene**rate**", "accu**rate**",
/// "mode**rate**"), `too many`, `slow down`, `throttl`. Texts about result-size caps
/// (`too many query results`, as strfry sends for over-large negentropy/REQ queries) and
/// subscription caps (`too many open subscriptions`) are not rate limits: waiting does not
/// help, splitting the query or consolidating subscriptions does.
public enum RateLimitClassifier {
    /// The NIP-01 machine-readable prefix for rate limiting, without the colon.
    public static let prefix = "rate-limited"

    /// NIP-01 prefixes whose message is, by the relay's own account, about something other
    /// than rate limiting; keywords in such a message (`invalid: too many tags`) are ignored.
    public static let otherReasonPrefixes: Set<String> = [
        "duplicate", "pow", "invalid", "restricted", "mute", "auth-required",
    ]

    /// Whether a `NOTICE` text signals rate limiting (keyword set or `rate-limited:` prefix).
    public static func isRateLimit(notice: String) -> Bool {
        let text = notice.lowercased()
        return machinePrefix(of: text) == prefix || containsRateLimitKeywords(text)
    }

    /// Whether the reason of a `CLOSED` message signals rate limiting: the `rate-limited:`
    /// prefix, or the keyword set when no prefix names another reason.
    ///
    /// Also suitable for NIP-77 `NEG-ERR` reasons, which use the same prefix convention.
    public static func isRateLimit(closedReason: String) -> Bool {
        isRateLimit(prefixedMessage: closedReason)
    }

    /// Whether the message of an `OK false` signals rate limiting, by the same rules as
    /// ``isRateLimit(closedReason:)``. Call it only for rejected events; see
    /// ``isRateLimit(okAccepted:message:)``.
    public static func isRateLimit(okMessage: String) -> Bool {
        isRateLimit(prefixedMessage: okMessage)
    }

    /// Whether an `OK` message signals rate limiting; an accepted event (`true`) never does.
    public static func isRateLimit(okAccepted: Bool, message: String) -> Bool {
        !okAccepted && isRateLimit(okMessage: message)
    }

    private static func isRateLimit(prefixedMessage: String) -> Bool {
        let text = prefixedMessage.lowercased()
        let messagePrefix = machinePrefix(of: text)
        if messagePrefix == prefix { return true }
        if let messagePrefix, otherReasonPrefixes.contains(messagePrefix) { return false }
        return containsRateLimitKeywords(text)
    }

    /// The keyword test on lower-cased text.
    static func containsRateLimitKeywords(_ text: String) -> Bool {
        // Result-size caps, subscription caps and oversized requests ("too many query
        // results", "too many concurrent REQs", "bad req: too many filters") are not rate
        // limits: waiting does not help, splitting or consolidating does (RefusalClassifier).
        if RefusalClassifier.isStructural(text) || text.contains("subscription") {
            return false
        }
        return (containsWordStarting("rate", in: text) && text.contains("limit"))
            || text.contains("too many")
            || text.contains("slow down")
            || text.contains("throttl")
    }

    /// The machine-readable prefix (`word:` at the very start, blanks trimmed) of lower-cased
    /// text, if the part before the first colon is a single token.
    static func machinePrefix(of text: String) -> String? {
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        guard let colon = trimmed.firstIndex(of: ":") else { return nil }
        let head = trimmed[..<colon]
        guard !head.isEmpty, head.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            return nil
        }
        return String(head)
    }

    /// Whether `word` occurs in `text` at the start of a word (not preceded by a letter).
    private static func containsWordStarting(_ word: String, in text: String) -> Bool {
        var searchRange = text.startIndex..<text.endIndex
        while let found = text.range(of: word, range: searchRange) {
            if found.lowerBound == text.startIndex || !text[text.index(before: found.lowerBound)].isLetter {
                return true
            }
            searchRange = found.upperBound..<text.endIndex
        }
        return false
    }
}
