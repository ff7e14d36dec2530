import Foundation

extension RelaySyncState {
    /// Learns the relay's subscription cap from a refusal: the number the text names
    /// (strfry, rust-nostr and this node say "... (max 50)" or "max: 50"), else `openNow`, what
    /// was open when it refused. Only ever lowers a known cap.
    mutating func learnSubscriptionCap(from reason: String, openNow: Int) {
        let named = Self.namedMaximum(in: reason)
        let learned = max(1, named ?? openNow)
        subscriptionCap = min(subscriptionCap ?? learned, learned)
    }

    /// The number after "max" in a refusal text, if any.
    static func namedMaximum(in text: String) -> Int? {
        let lower = text.lowercased()
        guard let range = lower.range(of: "max") else { return nil }
        let digits = lower[range.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int(digits)
    }
}
