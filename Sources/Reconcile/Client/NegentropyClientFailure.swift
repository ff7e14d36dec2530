import Nostr

/// Why a NIP-77 client reconciliation did not complete.
public enum NegentropyClientFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The relay does not speak NIP-77 (a refusal NOTICE before the first NEG-MSG, a CLOSED,
    /// or a NEG-ERR saying so): fall back to REQ/EOSE.
    case unsupported(String)
    /// The filter matches too many records; `maxRecords` when the relay said how many.
    case blocked(maxRecords: Int?, reason: String)
    /// The NEG-OPEN was too big for the relay (strfry: "total filter items too large"): split
    /// the filter's values.
    case tooLarge(String)
    /// The relay asked us to slow down: retry after its cooldown.
    case rateLimited(String)
    /// The relay closed the session (`closed:`: idle timeout or unknown handle).
    case closed(String)
    /// Any other NEG-ERR or error NOTICE.
    case relayError(String)
    /// No answer at all to the NEG-OPEN within the idle timeout (a relay that ignores NIP-77).
    case timeout
    /// The session started but then made no progress within the idle timeout.
    case stalled
    /// The relay kept answering without the reconciliation getting anywhere: `rounds` rounds
    /// in a row found no new id, or the session passed its round bound. A relay that never
    /// lets a session converge cannot hold it open.
    case noProgress(rounds: Int)
    /// The relay's message could not be processed by our engine.
    case protocolError(String)
    /// The connection ended mid-session.
    case disconnected

    public var description: String {
        switch self {
        case .unsupported(let m): return "NIP-77 unsupported: \(m)"
        case .blocked(let max, let m): return "blocked (max \(max.map(String.init) ?? "?")): \(m)"
        case .tooLarge(let m): return "request too large: \(m)"
        case .rateLimited(let m): return "rate limited: \(m)"
        case .closed(let m): return "session closed by relay: \(m)"
        case .relayError(let m): return "relay error: \(m)"
        case .timeout: return "no answer to NEG-OPEN"
        case .stalled: return "negentropy session timed out"
        case .noProgress(let rounds): return "negentropy session made no progress in \(rounds) rounds"
        case .protocolError(let m): return "negentropy protocol error: \(m)"
        case .disconnected: return "connection lost during negentropy"
        }
    }

    /// The failure a classified refusal text means for a session; nil when the text is no
    /// refusal (chatter).
    public init?(refusal: RelayRefusal, text: String, maxRecords: Int? = nil) {
        switch refusal {
        case .tooManyResults: self = .blocked(maxRecords: maxRecords, reason: text)
        case .tooLarge: self = .tooLarge(text)
        case .negentropyUnsupported: self = .unsupported(text)
        case .rateLimited, .subscriptionCap: self = .rateLimited(text)
        case .closed: self = .closed(text)
        case .error: self = .relayError(text)
        case .informational: return nil
        }
    }
}
