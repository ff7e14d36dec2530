/// A message a client sends to a relay (NIP-01, NIP-45 COUNT, NIP-77 negentropy, NIP-42 AUTH).
public enum ClientMessage: Sendable, Equatable {
    case event(NostrEvent)
    case req(subscriptionID: String, filters: [Filter])
    case close(subscriptionID: String)
    case count(subscriptionID: String, filters: [Filter])
    case negOpen(subscriptionID: String, filter: Filter, initialMessage: String)
    case negMsg(subscriptionID: String, message: String)
    case negClose(subscriptionID: String)
    case auth(NostrEvent)

    /// The message's JSON text.
    public var jsonText: String {
        switch self {
        case .event(let e): return "[\"EVENT\"," + e.jsonText + "]"
        case .req(let id, let filters): return Self.withFilters("REQ", id, filters)
        case .count(let id, let filters): return Self.withFilters("COUNT", id, filters)
        case .close(let id): return "[\"CLOSE\"," + JSONString.quoted(id) + "]"
        case .negOpen(let id, let filter, let msg):
            return "[\"NEG-OPEN\"," + JSONString.quoted(id) + "," + filter.jsonText + "," + JSONString.quoted(msg) + "]"
        case .negMsg(let id, let msg): return "[\"NEG-MSG\"," + JSONString.quoted(id) + "," + JSONString.quoted(msg) + "]"
        case .negClose(let id): return "[\"NEG-CLOSE\"," + JSONString.quoted(id) + "]"
        case .auth(let e): return "[\"AUTH\"," + e.jsonText + "]"
        }
    }

    private static func withFilters(_ verb: String, _ id: String, _ filters: [Filter]) -> String {
        var out = "[\"" + verb + "\"," + JSONString.quoted(id)
        for f in filters { out += "," + f.jsonText }
        return out + "]"
    }
}
