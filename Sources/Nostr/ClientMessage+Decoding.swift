extension ClientMessage {
    /// Longest subscription id accepted (NIP-01 allows up to 64 characters).
    public static let maxSubscriptionIDLength = 64

    /// Decodes a client message from its JSON text.
    public static func decode(_ text: String) throws(ClientMessageDecodingError) -> ClientMessage {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw .notJSON(error) }
        return try decode(json)
    }

    /// Decodes a client message from parsed JSON.
    public static func decode(_ json: JSONValue) throws(ClientMessageDecodingError) -> ClientMessage {
        guard let items = json.arrayValue, let verb = items.first?.stringValue else { throw .notAMessage }
        switch verb {
        case "EVENT", "AUTH":
            // The event id, when the second element carries a well-formed one (for `OK false`).
            func readableID() -> String? {
                guard items.count > 1, let id = items[1]["id"]?.stringValue else { return nil }
                return Hex.isLowercaseHex(id, byteCount: 32) ? id : nil
            }
            guard items.count == 2 else {
                throw .invalidEvent(eventID: readableID(), .missingField(items.count < 2 ? "event" : "(extra elements)"))
            }
            let event: NostrEvent
            do { event = try NostrEvent(json: items[1]) } catch {
                throw .invalidEvent(eventID: readableID(), error)
            }
            return verb == "EVENT" ? .event(event) : .auth(event)
        case "REQ", "COUNT":
            let id = try subscriptionID(items, verb: verb)
            guard items.count >= 3 else {
                throw .invalidSubscription(verb: verb, subscriptionID: id, reason: "\(verb) needs at least one filter")
            }
            var filters: [Filter] = []
            filters.reserveCapacity(items.count - 2)
            for item in items[2...] {
                do { filters.append(try Filter(json: item)) } catch {
                    throw .invalidSubscription(verb: verb, subscriptionID: id, reason: error.message)
                }
            }
            return verb == "REQ" ? .req(subscriptionID: id, filters: filters) : .count(subscriptionID: id, filters: filters)
        case "CLOSE":
            guard items.count == 2, let id = items[1].stringValue else { throw .invalidClose }
            return .close(subscriptionID: id)
        case "NEG-OPEN":
            let id = try negSubscriptionID(items, verb: verb)
            guard items.count == 4, let msg = items[3].stringValue else {
                throw .invalidNegentropy(verb: verb, subscriptionID: id, reason: "NEG-OPEN needs a subscription id, one filter and a hex message")
            }
            let filter: Filter
            do { filter = try Filter(json: items[2]) } catch {
                throw .invalidNegentropy(verb: verb, subscriptionID: id, reason: error.message)
            }
            return .negOpen(subscriptionID: id, filter: filter, initialMessage: msg)
        case "NEG-MSG":
            let id = try negSubscriptionID(items, verb: verb)
            guard items.count == 3, let msg = items[2].stringValue else {
                throw .invalidNegentropy(verb: verb, subscriptionID: id, reason: "NEG-MSG needs a subscription id and a hex message")
            }
            return .negMsg(subscriptionID: id, message: msg)
        case "NEG-CLOSE":
            let id = try negSubscriptionID(items, verb: verb)
            return .negClose(subscriptionID: id)
        default:
            throw .unknownVerb(verb)
        }
    }

    private static func subscriptionID(_ items: [JSONValue], verb: String) throws(ClientMessageDecodingError) -> String {
        guard items.count >= 2, let id = items[1].stringValue else {
            throw .invalidSubscription(verb: verb, subscriptionID: nil, reason: "\(verb) needs a subscription id string")
        }
        guard !id.isEmpty, id.utf8.count <= maxSubscriptionIDLength else {
            throw .invalidSubscription(verb: verb, subscriptionID: nil, reason: "subscription id must be 1 to \(maxSubscriptionIDLength) characters")
        }
        return id
    }

    private static func negSubscriptionID(_ items: [JSONValue], verb: String) throws(ClientMessageDecodingError) -> String {
        guard items.count >= 2, let id = items[1].stringValue, !id.isEmpty, id.utf8.count <= maxSubscriptionIDLength else {
            throw .invalidNegentropy(verb: verb, subscriptionID: nil, reason: "\(verb) needs a subscription id of 1 to \(maxSubscriptionIDLength) characters")
        }
        return id
    }
}
