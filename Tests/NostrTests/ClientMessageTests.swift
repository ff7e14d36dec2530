import Testing
import Nostr

private let wine = Fixtures.wineEvent
private let wineJSON = Fixtures.wineEvent.jsonText
private let sub64 = String(repeating: "s", count: 64)
private let sub65 = String(repeating: "s", count: 65)

/// The wine event's JSON with one member's value replaced (`nil` drops the member).
private func wineObject(_ key: String, _ value: String?) -> String {
    EventJSONDecodingTests.object(replacing: key, with: value)
}

@Suite("Client message decoding")
struct ClientMessageDecodingTests {
    struct ValidCase: Sendable, CustomTestStringConvertible {
        let text: String
        let message: ClientMessage
        var testDescription: String { String(text.prefix(80)) }
    }

    static let validCases: [ValidCase] = [
        ValidCase(text: #"["EVENT",\#(wineJSON)]"#, message: .event(wine)),
        ValidCase(text: #" [ "EVENT" , \#(wineJSON) ] "#, message: .event(wine)),
        ValidCase(text: #"["AUTH",\#(wineJSON)]"#, message: .auth(wine)),
        ValidCase(text: #"["REQ","sub",{}]"#, message: .req(subscriptionID: "sub", filters: [Filter()])),
        ValidCase(text: ##"["REQ","s",{"kinds":[30617]},{"#a":["x"],"limit":5}]"##,
                  message: .req(subscriptionID: "s", filters: [Filter(kinds: [30617]), Filter(tags: ["a": ["x"]], limit: 5)])),
        ValidCase(text: #"["REQ","\#(sub64)",{}]"#, message: .req(subscriptionID: sub64, filters: [Filter()])),
        ValidCase(text: #"["REQ","a b:\"c\"",{}]"#, message: .req(subscriptionID: "a b:\"c\"", filters: [Filter()])),
        ValidCase(text: #"["COUNT","c",{"kinds":[1]}]"#, message: .count(subscriptionID: "c", filters: [Filter(kinds: [1])])),
        ValidCase(text: #"["CLOSE","sub"]"#, message: .close(subscriptionID: "sub")),
        ValidCase(text: #"["NEG-OPEN","neg1",{"kinds":[30617]},"6100000200"]"#,
                  message: .negOpen(subscriptionID: "neg1", filter: Filter(kinds: [30617]), initialMessage: "6100000200")),
        ValidCase(text: #"["NEG-MSG","neg1","61"]"#, message: .negMsg(subscriptionID: "neg1", message: "61")),
        ValidCase(text: #"["NEG-CLOSE","neg1"]"#, message: .negClose(subscriptionID: "neg1")),
    ]

    @Test("Every verb decodes", arguments: validCases)
    func valid(_ c: ValidCase) throws {
        #expect(try ClientMessage.decode(c.text) == c.message)
        #expect(try ClientMessage.decode(JSONValue.parse(c.text)) == c.message)
    }

    @Test("Encoding and decoding round-trip", arguments: validCases.map(\.message) + [
        .req(subscriptionID: "x", filters: [FilterJSONTests.full, Filter(ids: [])]),
        .count(subscriptionID: "y", filters: [Filter(since: 1, until: 2)]),
        .close(subscriptionID: "quote\"back\\slash"),
        .negMsg(subscriptionID: "n", message: ""),
    ] as [ClientMessage])
    func roundTrip(_ message: ClientMessage) throws {
        #expect(try ClientMessage.decode(message.jsonText) == message)
    }

    @Test("Exact encodings")
    func encodings() {
        #expect(ClientMessage.close(subscriptionID: "s").jsonText == #"["CLOSE","s"]"#)
        #expect(ClientMessage.req(subscriptionID: "s", filters: [Filter(kinds: [1]), Filter()]).jsonText == #"["REQ","s",{"kinds":[1]},{}]"#)
        #expect(ClientMessage.count(subscriptionID: "s", filters: [Filter()]).jsonText == #"["COUNT","s",{}]"#)
        #expect(ClientMessage.negOpen(subscriptionID: "n", filter: Filter(), initialMessage: "61").jsonText == #"["NEG-OPEN","n",{},"61"]"#)
        #expect(ClientMessage.negMsg(subscriptionID: "n", message: "61").jsonText == #"["NEG-MSG","n","61"]"#)
        #expect(ClientMessage.negClose(subscriptionID: "n").jsonText == #"["NEG-CLOSE","n"]"#)
        #expect(ClientMessage.event(wine).jsonText == #"["EVENT",\#(wineJSON)]"#)
        #expect(ClientMessage.auth(wine).jsonText == #"["AUTH",\#(wineJSON)]"#)
    }

    @Test("Decoding does not verify the event (the relay does, to answer OK false)")
    func decodeDoesNotVerify() throws {
        let tampered = wine.with(content: "tampered")
        let message = try ClientMessage.decode(ClientMessage.event(tampered).jsonText)
        #expect(message == .event(tampered))
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let error: ClientMessageDecodingError
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        // Shape
        BadCase(name: "object", text: "{}", error: .notAMessage),
        BadCase(name: "empty array", text: "[]", error: .notAMessage),
        BadCase(name: "number verb", text: "[1]", error: .notAMessage),
        BadCase(name: "null verb", text: #"[null,"x"]"#, error: .notAMessage),
        BadCase(name: "bare string", text: #""EVENT""#, error: .notAMessage),
        BadCase(name: "nested array", text: #"[["REQ","s",{}]]"#, error: .notAMessage),
        BadCase(name: "unknown verb", text: #"["HELLO","x"]"#, error: .unknownVerb("HELLO")),
        BadCase(name: "verbs are case-sensitive", text: #"["event",{}]"#, error: .unknownVerb("event")),
        BadCase(name: "empty verb", text: #"[""]"#, error: .unknownVerb("")),
        // EVENT
        BadCase(name: "EVENT without event", text: #"["EVENT"]"#, error: .invalidEvent(eventID: nil, .missingField("event"))),
        BadCase(name: "EVENT with extra elements keeps the readable id", text: #"["EVENT",\#(wineJSON),"extra"]"#,
                error: .invalidEvent(eventID: wine.id, .missingField("(extra elements)"))),
        BadCase(name: "EVENT with extra elements and no readable id", text: #"["EVENT",5,6]"#,
                error: .invalidEvent(eventID: nil, .missingField("(extra elements)"))),
        BadCase(name: "EVENT with a number", text: #"["EVENT",5]"#, error: .invalidEvent(eventID: nil, .wrongType("event"))),
        BadCase(name: "EVENT with an array", text: #"["EVENT",["id"]]"#, error: .invalidEvent(eventID: nil, .wrongType("event"))),
        BadCase(name: "EVENT missing sig has readable id", text: #"["EVENT",\#(wineObject("sig", nil))]"#,
                error: .invalidEvent(eventID: wine.id, .missingField("sig"))),
        BadCase(name: "EVENT bad kind has readable id", text: #"["EVENT",\#(wineObject("kind", "\"1\""))]"#,
                error: .invalidEvent(eventID: wine.id, .wrongType("kind"))),
        BadCase(name: "EVENT kind out of range", text: #"["EVENT",\#(wineObject("kind", "70000"))]"#,
                error: .invalidEvent(eventID: wine.id, .kindOutOfRange)),
        BadCase(name: "EVENT bad tags", text: #"["EVENT",\#(wineObject("tags", "[[1]]"))]"#,
                error: .invalidEvent(eventID: wine.id, .wrongType("tags"))),
        BadCase(name: "EVENT bad pubkey", text: #"["EVENT",\#(wineObject("pubkey", "\"abc\""))]"#,
                error: .invalidEvent(eventID: wine.id, .badHex(field: "pubkey"))),
        BadCase(name: "EVENT uppercase id is not readable", text: #"["EVENT",\#(wineObject("id", "\"\(wine.id.uppercased())\""))]"#,
                error: .invalidEvent(eventID: nil, .badHex(field: "id"))),
        BadCase(name: "EVENT numeric id is not readable", text: #"["EVENT",\#(wineObject("id", "7"))]"#,
                error: .invalidEvent(eventID: nil, .wrongType("id"))),
        BadCase(name: "EVENT missing id", text: #"["EVENT",\#(wineObject("id", nil))]"#,
                error: .invalidEvent(eventID: nil, .missingField("id"))),
        BadCase(name: "AUTH with a bad event", text: #"["AUTH",\#(wineObject("content", "1"))]"#,
                error: .invalidEvent(eventID: wine.id, .wrongType("content"))),
        BadCase(name: "AUTH without event", text: #"["AUTH"]"#, error: .invalidEvent(eventID: nil, .missingField("event"))),
        // REQ / COUNT
        BadCase(name: "REQ alone", text: #"["REQ"]"#,
                error: .invalidSubscription(verb: "REQ", subscriptionID: nil, reason: "REQ needs a subscription id string")),
        BadCase(name: "REQ numeric id", text: #"["REQ",5,{}]"#,
                error: .invalidSubscription(verb: "REQ", subscriptionID: nil, reason: "REQ needs a subscription id string")),
        BadCase(name: "REQ empty id", text: #"["REQ","",{}]"#,
                error: .invalidSubscription(verb: "REQ", subscriptionID: nil, reason: "subscription id must be 1 to 64 characters")),
        BadCase(name: "REQ 65-character id", text: #"["REQ","\#(sub65)",{}]"#,
                error: .invalidSubscription(verb: "REQ", subscriptionID: nil, reason: "subscription id must be 1 to 64 characters")),
        BadCase(name: "REQ without filters", text: #"["REQ","s"]"#,
                error: .invalidSubscription(verb: "REQ", subscriptionID: "s", reason: "REQ needs at least one filter")),
        BadCase(name: "REQ bad filter", text: #"["REQ","s",{"kinds":"x"}]"#,
                error: .invalidSubscription(verb: "REQ", subscriptionID: "s", reason: "filter field kinds has the wrong type")),
        BadCase(name: "REQ second filter bad", text: #"["REQ","s",{},{"ids":["xyz"]}]"#,
                error: .invalidSubscription(verb: "REQ", subscriptionID: "s", reason: "filter field ids must hold 64-character lowercase hex")),
        BadCase(name: "REQ non-object filter", text: #"["REQ","s",{},5]"#,
                error: .invalidSubscription(verb: "REQ", subscriptionID: "s", reason: "filter must be an object")),
        BadCase(name: "REQ bad tag key", text: ##"["REQ","s",{"#ee":["x"]}]"##,
                error: .invalidSubscription(verb: "REQ", subscriptionID: "s", reason: "unsupported filter key #ee")),
        BadCase(name: "COUNT without filters", text: #"["COUNT","c"]"#,
                error: .invalidSubscription(verb: "COUNT", subscriptionID: "c", reason: "COUNT needs at least one filter")),
        BadCase(name: "COUNT without id", text: #"["COUNT"]"#,
                error: .invalidSubscription(verb: "COUNT", subscriptionID: nil, reason: "COUNT needs a subscription id string")),
        BadCase(name: "COUNT bad filter", text: #"["COUNT","c",{"limit":-5}]"#,
                error: .invalidSubscription(verb: "COUNT", subscriptionID: "c", reason: "filter field limit has the wrong type")),
        // CLOSE
        BadCase(name: "CLOSE alone", text: #"["CLOSE"]"#, error: .invalidClose),
        BadCase(name: "CLOSE numeric id", text: #"["CLOSE",5]"#, error: .invalidClose),
        BadCase(name: "CLOSE extra element", text: #"["CLOSE","a","b"]"#, error: .invalidClose),
        // NEG-OPEN
        BadCase(name: "NEG-OPEN alone", text: #"["NEG-OPEN"]"#,
                error: .invalidNegentropy(verb: "NEG-OPEN", subscriptionID: nil, reason: "NEG-OPEN needs a subscription id of 1 to 64 characters")),
        BadCase(name: "NEG-OPEN empty id", text: #"["NEG-OPEN","",{},"61"]"#,
                error: .invalidNegentropy(verb: "NEG-OPEN", subscriptionID: nil, reason: "NEG-OPEN needs a subscription id of 1 to 64 characters")),
        BadCase(name: "NEG-OPEN 65-character id", text: #"["NEG-OPEN","\#(sub65)",{},"61"]"#,
                error: .invalidNegentropy(verb: "NEG-OPEN", subscriptionID: nil, reason: "NEG-OPEN needs a subscription id of 1 to 64 characters")),
        BadCase(name: "NEG-OPEN numeric id", text: #"["NEG-OPEN",1,{},"61"]"#,
                error: .invalidNegentropy(verb: "NEG-OPEN", subscriptionID: nil, reason: "NEG-OPEN needs a subscription id of 1 to 64 characters")),
        BadCase(name: "NEG-OPEN without message", text: #"["NEG-OPEN","n",{}]"#,
                error: .invalidNegentropy(verb: "NEG-OPEN", subscriptionID: "n", reason: "NEG-OPEN needs a subscription id, one filter and a hex message")),
        BadCase(name: "NEG-OPEN numeric message", text: #"["NEG-OPEN","n",{},61]"#,
                error: .invalidNegentropy(verb: "NEG-OPEN", subscriptionID: "n", reason: "NEG-OPEN needs a subscription id, one filter and a hex message")),
        BadCase(name: "NEG-OPEN two filters", text: #"["NEG-OPEN","n",{},{},"61"]"#,
                error: .invalidNegentropy(verb: "NEG-OPEN", subscriptionID: "n", reason: "NEG-OPEN needs a subscription id, one filter and a hex message")),
        BadCase(name: "NEG-OPEN bad filter", text: #"["NEG-OPEN","n",{"ids":["x"]},"61"]"#,
                error: .invalidNegentropy(verb: "NEG-OPEN", subscriptionID: "n", reason: "filter field ids must hold 64-character lowercase hex")),
        BadCase(name: "NEG-OPEN non-object filter", text: #"["NEG-OPEN","n",[],"61"]"#,
                error: .invalidNegentropy(verb: "NEG-OPEN", subscriptionID: "n", reason: "filter must be an object")),
        // NEG-MSG
        BadCase(name: "NEG-MSG alone", text: #"["NEG-MSG"]"#,
                error: .invalidNegentropy(verb: "NEG-MSG", subscriptionID: nil, reason: "NEG-MSG needs a subscription id of 1 to 64 characters")),
        BadCase(name: "NEG-MSG numeric id", text: #"["NEG-MSG",1,"61"]"#,
                error: .invalidNegentropy(verb: "NEG-MSG", subscriptionID: nil, reason: "NEG-MSG needs a subscription id of 1 to 64 characters")),
        BadCase(name: "NEG-MSG without message", text: #"["NEG-MSG","n"]"#,
                error: .invalidNegentropy(verb: "NEG-MSG", subscriptionID: "n", reason: "NEG-MSG needs a subscription id and a hex message")),
        BadCase(name: "NEG-MSG numeric message", text: #"["NEG-MSG","n",61]"#,
                error: .invalidNegentropy(verb: "NEG-MSG", subscriptionID: "n", reason: "NEG-MSG needs a subscription id and a hex message")),
        BadCase(name: "NEG-MSG extra element", text: #"["NEG-MSG","n","61","62"]"#,
                error: .invalidNegentropy(verb: "NEG-MSG", subscriptionID: "n", reason: "NEG-MSG needs a subscription id and a hex message")),
        // NEG-CLOSE
        BadCase(name: "NEG-CLOSE alone", text: #"["NEG-CLOSE"]"#,
                error: .invalidNegentropy(verb: "NEG-CLOSE", subscriptionID: nil, reason: "NEG-CLOSE needs a subscription id of 1 to 64 characters")),
        BadCase(name: "NEG-CLOSE numeric id", text: #"["NEG-CLOSE",7]"#,
                error: .invalidNegentropy(verb: "NEG-CLOSE", subscriptionID: nil, reason: "NEG-CLOSE needs a subscription id of 1 to 64 characters")),
        BadCase(name: "NEG-CLOSE empty id", text: #"["NEG-CLOSE",""]"#,
                error: .invalidNegentropy(verb: "NEG-CLOSE", subscriptionID: nil, reason: "NEG-CLOSE needs a subscription id of 1 to 64 characters")),
    ]

    @Test("Malformed messages", arguments: badCases)
    func malformed(_ c: BadCase) {
        #expect(throws: c.error) { try ClientMessage.decode(c.text) }
    }

    @Test("Text that is not JSON carries the parse error", arguments: ["", "EVENT", "[\"REQ\",", "[\"REQ\",\"s\",{}]x", "{\"a\":1,}"])
    func notJSON(_ text: String) {
        let error = #expect(throws: ClientMessageDecodingError.self) { try ClientMessage.decode(text) }
        guard case .notJSON(let parseError) = error else {
            Issue.record("expected .notJSON, got \(String(describing: error))")
            return
        }
        #expect(error?.reason == "could not parse message: \(parseError)")
    }

    @Test("Deeply nested junk is refused as not JSON, not by crashing")
    func deepNesting() {
        let text = #"["REQ","s","# + String(repeating: "[", count: 10_000)
        let error = #expect(throws: ClientMessageDecodingError.self) { try ClientMessage.decode(text) }
        #expect(error == .notJSON(JSONParseError(.tooDeep, at: 74)))
    }

    @Test("Reasons and descriptions", arguments: [
        (ClientMessageDecodingError.notAMessage, "message must be a JSON array starting with a verb"),
        (.unknownVerb("FOO"), "unknown message type FOO"),
        (.invalidEvent(eventID: nil, .idMismatch), "event id does not match"),
        (.invalidSubscription(verb: "REQ", subscriptionID: "s", reason: "r1"), "r1"),
        (.invalidNegentropy(verb: "NEG-MSG", subscriptionID: nil, reason: "r2"), "r2"),
        (.invalidClose, "CLOSE needs a subscription id"),
        (.notJSON(JSONParseError(.unexpectedEnd, at: 0)), "could not parse message: unexpected end of input at byte 0"),
    ] as [(ClientMessageDecodingError, String)])
    func reasons(_ error: ClientMessageDecodingError, _ reason: String) {
        #expect(error.reason == reason)
        #expect(error.description == "invalid: " + reason)
    }

    @Test("The longest subscription id is 64")
    func maxLength() {
        #expect(ClientMessage.maxSubscriptionIDLength == 64)
    }
}
