import Testing
import Nostr

private let wine = Fixtures.wineEvent
private let eventID = Fixtures.wineEvent.id

@Suite("Relay messages")
struct RelayMessageTests {
    @Test("Exact encodings", arguments: [
        (RelayMessage.ok(eventID: eventID, accepted: true, message: ""), #"["OK","\#(eventID)",true,""]"#),
        (.ok(eventID: eventID, accepted: false, message: "invalid: event id does not match"), #"["OK","\#(eventID)",false,"invalid: event id does not match"]"#),
        (.eose(subscriptionID: "sub"), #"["EOSE","sub"]"#),
        (.closed(subscriptionID: "sub", message: "error: shutting down"), #"["CLOSED","sub","error: shutting down"]"#),
        (.notice("line\n\"quoted\""), #"["NOTICE","line\n\"quoted\""]"#),
        (.count(subscriptionID: "c", count: 42), #"["COUNT","c",{"count":42}]"#),
        (.negMsg(subscriptionID: "n", message: "6100"), #"["NEG-MSG","n","6100"]"#),
        (.negErr(subscriptionID: "n", reason: "closed: idle", maxRecords: nil), #"["NEG-ERR","n","closed: idle"]"#),
        (.negErr(subscriptionID: "n", reason: "blocked: too many records", maxRecords: 1_000_000), #"["NEG-ERR","n","blocked: too many records",1000000]"#),
        (.auth(challenge: "challenge-1"), #"["AUTH","challenge-1"]"#),
        (.event(subscriptionID: "sub", event: wine), #"["EVENT","sub",\#(wine.jsonText)]"#),
    ] as [(RelayMessage, String)])
    func encoding(_ message: RelayMessage, _ text: String) throws {
        #expect(message.jsonText == text)
        #expect(try RelayMessage.decode(text) == message)
    }

    @Test("Round trips with awkward strings", arguments: [
        RelayMessage.ok(eventID: "", accepted: true, message: "duplicate: already have this event"),
        .closed(subscriptionID: "a\"b\\c", message: "é 😀 \u{0} \u{1F}"),
        .notice(""),
        .count(subscriptionID: "c", count: 0),
        .negErr(subscriptionID: "n", reason: "", maxRecords: 0),
        .negErr(subscriptionID: "n", reason: "blocked: x", maxRecords: nil),
        .event(subscriptionID: "s", event: Fixtures.keypair.sign(kind: 1, content: "\u{8}\u{c}", createdAt: 0)),
    ] as [RelayMessage])
    func roundTrip(_ message: RelayMessage) throws {
        #expect(try RelayMessage.decode(message.jsonText) == message)
    }

    @Test("Decoding is lenient about optional and extra elements", arguments: [
        (#"["OK","id",false]"#, RelayMessage.ok(eventID: "id", accepted: false, message: "")),
        (#"["OK","id",true,5]"#, .ok(eventID: "id", accepted: true, message: "")),
        (#"["OK","id",true,"m","extra"]"#, .ok(eventID: "id", accepted: true, message: "m")),
        (#"["CLOSED","s"]"#, .closed(subscriptionID: "s", message: "")),
        (#"["EOSE","s","extra"]"#, .eose(subscriptionID: "s")),
        (#"["NOTICE","n",1]"#, .notice("n")),
        (#"["COUNT","c",{"count":3,"approximate":true}]"#, .count(subscriptionID: "c", count: 3)),
        (#"["NEG-ERR","n"]"#, .negErr(subscriptionID: "n", reason: "", maxRecords: nil)),
        (#"["NEG-ERR","n","blocked: too big","lots"]"#, .negErr(subscriptionID: "n", reason: "blocked: too big", maxRecords: nil)),
        (#"["NEG-ERR","n","blocked: too big",500000]"#, .negErr(subscriptionID: "n", reason: "blocked: too big", maxRecords: 500_000)),
        (#"["NEG-MSG","n","61",{}]"#, .negMsg(subscriptionID: "n", message: "61")),
        (#"["AUTH","c","x"]"#, .auth(challenge: "c")),
    ] as [(String, RelayMessage)])
    func lenient(_ text: String, _ message: RelayMessage) throws {
        #expect(try RelayMessage.decode(text) == message)
    }

    @Test("Malformed relay messages", arguments: [
        (#"["OK"]"#, RelayMessageDecodingError.malformed(verb: "OK")),
        (#"["OK","id"]"#, .malformed(verb: "OK")),
        (#"["OK","id","true",""]"#, .malformed(verb: "OK")),
        (#"["OK",1,true,""]"#, .malformed(verb: "OK")),
        (#"["EOSE"]"#, .malformed(verb: "EOSE")),
        (#"["EOSE",1]"#, .malformed(verb: "EOSE")),
        (#"["CLOSED"]"#, .malformed(verb: "CLOSED")),
        (#"["NOTICE"]"#, .malformed(verb: "NOTICE")),
        (#"["NOTICE",{}]"#, .malformed(verb: "NOTICE")),
        (#"["COUNT","c"]"#, .malformed(verb: "COUNT")),
        (#"["COUNT","c",{}]"#, .malformed(verb: "COUNT")),
        (#"["COUNT","c",{"count":"3"}]"#, .malformed(verb: "COUNT")),
        (#"["COUNT","c",3]"#, .malformed(verb: "COUNT")),
        (#"["NEG-MSG","n"]"#, .malformed(verb: "NEG-MSG")),
        (#"["NEG-MSG","n",61]"#, .malformed(verb: "NEG-MSG")),
        (#"["NEG-ERR"]"#, .malformed(verb: "NEG-ERR")),
        (#"["AUTH"]"#, .malformed(verb: "AUTH")),
        (#"["EVENT","s"]"#, .malformed(verb: "EVENT")),
        (#"["EVENT",{}]"#, .malformed(verb: "EVENT")),
        (#"["EVENT","s",{}]"#, .invalidEvent(.missingField("id"))),
        (#"["EVENT","s",[]]"#, .invalidEvent(.wrongType("event"))),
        (#"["HELLO"]"#, .unknownVerb("HELLO")),
        (#"["ok","id",true,""]"#, .unknownVerb("ok")),
        ("[]", .notAMessage),
        ("{}", .notAMessage),
        ("[1,2]", .notAMessage),
        ("\"OK\"", .notAMessage),
    ] as [(String, RelayMessageDecodingError)])
    func malformed(_ text: String, _ error: RelayMessageDecodingError) {
        #expect(throws: error) { try RelayMessage.decode(text) }
    }

    @Test("Non-JSON text carries the parse error")
    func notJSON() {
        #expect(throws: RelayMessageDecodingError.notJSON(JSONParseError(.unexpectedCharacter, at: 0))) { try RelayMessage.decode("oops") }
        #expect(throws: RelayMessageDecodingError.notJSON(JSONParseError(.unexpectedEnd, at: 5))) { try RelayMessage.decode(#"["OK""#) }
    }

    @Test("A relayed EVENT keeps the event intact for verification")
    func relayedEventVerifies() throws {
        let message = try RelayMessage.decode(#"["EVENT","sub",\#(Fixtures.lillordagWireJSON)]"#)
        guard case .event(let sub, let event) = message else {
            Issue.record("expected EVENT, got \(message)")
            return
        }
        #expect(sub == "sub")
        #expect(event.isValid)
        #expect(event.content == Fixtures.lillordagContent)
    }
}

@Suite("Machine-readable prefixes")
struct MachineReadablePrefixTests {
    @Test("Parses the prefix before the first colon", arguments: [
        ("duplicate: already have this event", MachineReadablePrefix?.some(.duplicate)),
        ("pow: difficulty 25 < 30", .pow),
        ("blocked: you are banned", .blocked),
        ("rate-limited: slow down", .rateLimited),
        ("invalid: event id does not match", .invalid),
        ("restricted: not allowed to write", .restricted),
        ("mute: no one is listening", .mute),
        ("error: could not connect to the database", .error),
        ("auth-required: we only accept events from registered users", .authRequired),
        ("closed: idle timeout", .closed),
        ("unsupported: NIP-77 is disabled", .unsupported),
        ("invalid:", .invalid),
        ("invalid:no space", .invalid),
        ("ERROR: bad msg: negentropy disabled", .error),
        ("Blocked: capitalised", .blocked),
        ("  blocked  : padded", .blocked),
        ("blocked: a: b: c", .blocked),
        ("", nil),
        ("no prefix here", nil),
        ("purgatory: won't be served until git data arrives", nil),
        ("rate limited: space instead of dash", nil),
        ("https://example.com", nil),
        (": empty prefix", nil),
        ("invalid", nil),
    ] as [(String, MachineReadablePrefix?)])
    func parse(_ message: String, _ expected: MachineReadablePrefix?) {
        #expect(MachineReadablePrefix.of(message) == expected)
    }

    @Test("message(_:) writes `<prefix>: <text>` and parses back", arguments: MachineReadablePrefix.allCases)
    func roundTrip(_ prefix: MachineReadablePrefix) {
        let text = prefix.message("some reason: with a colon")
        #expect(text == "\(prefix.rawValue): some reason: with a colon")
        #expect(MachineReadablePrefix.of(text) == prefix)
    }

    @Test("Raw values are the NIP-01/NIP-77 spellings")
    func rawValues() {
        #expect(MachineReadablePrefix.allCases.map(\.rawValue) == [
            "duplicate", "pow", "blocked", "rate-limited", "invalid", "restricted", "mute", "error", "auth-required", "closed", "unsupported",
        ])
        #expect(MachineReadablePrefix.rateLimited.message("x") == "rate-limited: x")
        #expect(MachineReadablePrefix.authRequired.message("") == "auth-required: ")
    }
}
