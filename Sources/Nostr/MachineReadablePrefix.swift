/// The machine-readable prefixes of NIP-01 `OK`/`CLOSED` messages and NIP-77 `NEG-ERR` reasons.
public enum MachineReadablePrefix: String, Sendable, CaseIterable {
    case duplicate
    case pow
    case blocked
    case rateLimited = "rate-limited"
    case invalid
    case restricted
    case mute
    case error
    case authRequired = "auth-required"
    /// NIP-77: the relay closed an idle or unknown negentropy session.
    case closed
    /// Not in NIP-01 but sent by relays for unsupported features.
    case unsupported

    /// `"<prefix>: <text>"`.
    public func message(_ text: String) -> String { "\(rawValue): \(text)" }

    /// The prefix a message starts with (`<prefix>:`), if any.
    public static func of(_ message: String) -> MachineReadablePrefix? {
        guard let colon = message.firstIndex(of: ":") else { return nil }
        return MachineReadablePrefix(rawValue: String(message[..<colon]).trimmingSpaces.lowercased())
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
