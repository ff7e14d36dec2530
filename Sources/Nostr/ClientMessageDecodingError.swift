/// Why a client message could not be decoded, with what a relay needs to answer correctly:
/// the event id for `OK false`, the subscription id for `CLOSED` or `NEG-ERR`, else `NOTICE`.
public enum ClientMessageDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON at all.
    case notJSON(JSONParseError)
    /// JSON, but not a non-empty array starting with a string verb.
    case notAMessage
    /// A verb this relay does not know.
    case unknownVerb(String)
    /// An EVENT or AUTH whose event object is malformed; `eventID` when one could be read.
    case invalidEvent(eventID: String?, EventValidationError)
    /// A REQ or COUNT with a malformed filter or shape.
    case invalidSubscription(verb: String, subscriptionID: String?, reason: String)
    /// A NEG-OPEN, NEG-MSG or NEG-CLOSE with a malformed shape or filter.
    case invalidNegentropy(verb: String, subscriptionID: String?, reason: String)
    /// A CLOSE without a subscription id string.
    case invalidClose

    /// The human-readable reason, to follow a machine-readable prefix.
    public var reason: String {
        switch self {
        case .notJSON(let e): return "could not parse message: \(e)"
        case .notAMessage: return "message must be a JSON array starting with a verb"
        case .unknownVerb(let v): return "unknown message type \(v)"
        case .invalidEvent(_, let e): return e.message
        case .invalidSubscription(_, _, let r): return r
        case .invalidNegentropy(_, _, let r): return r
        case .invalidClose: return "CLOSE needs a subscription id"
        }
    }

    public var description: String { "invalid: \(reason)" }
}
