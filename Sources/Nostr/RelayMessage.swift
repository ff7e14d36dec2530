/// A message a relay sends to a client.
public enum RelayMessage: Sendable, Equatable {
    case event(subscriptionID: String, event: NostrEvent)
    case ok(eventID: String, accepted: Bool, message: String)
    case eose(subscriptionID: String)
    case closed(subscriptionID: String, message: String)
    case notice(String)
    case count(subscriptionID: String, count: Int)
    case negMsg(subscriptionID: String, message: String)
    /// NIP-77 error; `maxRecords` is strfry's optional 4th element on `blocked:`.
    case negErr(subscriptionID: String, reason: String, maxRecords: Int?)
    case auth(challenge: String)

    /// The message's JSON text.
    public var jsonText: String {
        switch self {
        case .event(let id, let e): return "[\"EVENT\"," + JSONString.quoted(id) + "," + e.jsonText + "]"
        case .ok(let id, let accepted, let msg):
            return "[\"OK\"," + JSONString.quoted(id) + "," + (accepted ? "true" : "false") + "," + JSONString.quoted(msg) + "]"
        case .eose(let id): return "[\"EOSE\"," + JSONString.quoted(id) + "]"
        case .closed(let id, let msg): return "[\"CLOSED\"," + JSONString.quoted(id) + "," + JSONString.quoted(msg) + "]"
        case .notice(let msg): return "[\"NOTICE\"," + JSONString.quoted(msg) + "]"
        case .count(let id, let n): return "[\"COUNT\"," + JSONString.quoted(id) + ",{\"count\":" + String(n) + "}]"
        case .negMsg(let id, let msg): return "[\"NEG-MSG\"," + JSONString.quoted(id) + "," + JSONString.quoted(msg) + "]"
        case .negErr(let id, let reason, let max):
            var out = "[\"NEG-ERR\"," + JSONString.quoted(id) + "," + JSONString.quoted(reason)
            if let max { out += "," + String(max) }
            return out + "]"
        case .auth(let challenge): return "[\"AUTH\"," + JSONString.quoted(challenge) + "]"
        }
    }
}

/// Why a relay message could not be decoded.
public enum RelayMessageDecodingError: Error, Sendable, Equatable {
    case notJSON(JSONParseError)
    case notAMessage
    case unknownVerb(String)
    case malformed(verb: String)
    case invalidEvent(EventValidationError)
}

extension RelayMessage {
    /// Decodes a relay message. Lenient about extra trailing elements, as relays differ.
    public static func decode(_ text: String) throws(RelayMessageDecodingError) -> RelayMessage {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw .notJSON(error) }
        guard let items = json.arrayValue, let verb = items.first?.stringValue else { throw .notAMessage }
        func string(_ i: Int) throws(RelayMessageDecodingError) -> String {
            guard i < items.count, let s = items[i].stringValue else { throw .malformed(verb: verb) }
            return s
        }
        switch verb {
        case "EVENT":
            let id = try string(1)
            guard items.count >= 3 else { throw .malformed(verb: verb) }
            do { return .event(subscriptionID: id, event: try NostrEvent(json: items[2])) } catch { throw .invalidEvent(error) }
        case "OK":
            let id = try string(1)
            guard items.count >= 3, case .bool(let accepted) = items[2] else { throw .malformed(verb: verb) }
            let msg = items.count > 3 ? (items[3].stringValue ?? "") : ""
            return .ok(eventID: id, accepted: accepted, message: msg)
        case "EOSE": return .eose(subscriptionID: try string(1))
        case "CLOSED": return .closed(subscriptionID: try string(1), message: items.count > 2 ? (items[2].stringValue ?? "") : "")
        case "NOTICE": return .notice(try string(1))
        case "COUNT":
            let id = try string(1)
            guard items.count >= 3, let n = items[2]["count"]?.int64Value else { throw .malformed(verb: verb) }
            return .count(subscriptionID: id, count: Int(n))
        case "NEG-MSG": return .negMsg(subscriptionID: try string(1), message: try string(2))
        case "NEG-ERR":
            let id = try string(1)
            let reason = items.count > 2 ? (items[2].stringValue ?? "") : ""
            let max = items.count > 3 ? items[3].int64Value.map { Int($0) } : nil
            return .negErr(subscriptionID: id, reason: reason, maxRecords: max)
        case "AUTH": return .auth(challenge: try string(1))
        default: throw .unknownVerb(verb)
        }
    }
}
