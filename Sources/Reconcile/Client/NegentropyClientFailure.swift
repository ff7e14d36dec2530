/// Why a NIP-77 client reconciliation did not complete.
public enum NegentropyClientFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The relay does not speak NIP-77 (a refusal NOTICE before the first NEG-MSG, a CLOSED,
    /// or a NEG-ERR saying so): fall back to REQ/EOSE.
    case unsupported(String)
    /// The filter matches too many records; `maxRecords` when the relay said how many.
    case blocked(maxRecords: Int?, reason: String)
    /// The relay closed the session (`closed:`: idle timeout or unknown handle).
    case closed(String)
    /// Any other NEG-ERR.
    case relayError(String)
    /// No progress within the idle timeout.
    case timeout
    /// The relay's message could not be processed by our engine.
    case protocolError(String)
    /// The connection ended mid-session.
    case disconnected

    public var description: String {
        switch self {
        case .unsupported(let m): return "NIP-77 unsupported: \(m)"
        case .blocked(let max, let m): return "blocked (max \(max.map(String.init) ?? "?")): \(m)"
        case .closed(let m): return "session closed by relay: \(m)"
        case .relayError(let m): return "relay error: \(m)"
        case .timeout: return "negentropy session timed out"
        case .protocolError(let m): return "negentropy protocol error: \(m)"
        case .disconnected: return "connection lost during negentropy"
        }
    }

    /// Keywords that mark a NOTICE (received before the first NEG-MSG) as a refusal of
    /// NIP-77 (field notes §4.2; strfry PR #193 and Amethyst PR #3747 use the same set).
    /// "bad message" also covers the wild "bad message type", which no other keyword matches.
    public static let refusalKeywords = ["error", "invalid", "unrecognized", "bad msg", "bad message", "could not parse", "disabled",
                                         "unsupported", "unknown", "negentropy", "neg-"]

    /// Whether a NOTICE text refuses NIP-77.
    public static func isRefusal(notice: String) -> Bool {
        let lower = notice.lowercased()
        return refusalKeywords.contains { lower.contains($0) }
    }

    /// Classifies a NEG-ERR reason (standard prefixes, plus older free-form texts).
    public static func classify(negErr reason: String, maxRecords: Int?) -> NegentropyClientFailure {
        let lower = reason.lowercased()
        if lower.hasPrefix("blocked:") || lower.contains("too many") { return .blocked(maxRecords: maxRecords, reason: reason) }
        if lower.hasPrefix("closed:") { return .closed(reason) }
        if lower.contains("disabled") || lower.contains("unsupported") || lower.contains("not supported") { return .unsupported(reason) }
        return .relayError(reason)
    }
}
