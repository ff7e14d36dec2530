import Testing
import Nostr

@Suite("Event verification")
struct EventVerificationTests {
    static let signed = Fixtures.keypair.sign(kind: 1, tags: [["t", "nostr"]], content: "hello", createdAt: 1_700_000_000, auxRand: Fixtures.zeroAux)

    @Test("A correctly signed event verifies")
    func valid() {
        #expect(throws: Never.self) { try Self.signed.verify() }
        #expect(Self.signed.isValid)
        #expect(Fixtures.wineEvent.isValid)
    }

    @Test("A well-formed id that is not the hash gives .idMismatch")
    func wrongID() {
        let event = Self.signed.with(id: Fixtures.flippingBit(0, of: Self.signed.id))
        #expect(throws: EventValidationError.idMismatch) { try event.verify() }
        #expect(!event.isValid)
    }

    @Test("Changing a hashed field after signing gives .idMismatch")
    func tamperedContent() {
        #expect(throws: EventValidationError.idMismatch) { try Self.signed.with(content: "hello!").verify() }
        #expect(throws: EventValidationError.idMismatch) { try Self.signed.with(createdAt: 1_700_000_001).verify() }
        #expect(throws: EventValidationError.idMismatch) { try Self.signed.with(tags: []).verify() }
        #expect(throws: EventValidationError.idMismatch) { try Self.signed.with(kind: 2).verify() }
        #expect(throws: EventValidationError.idMismatch) { try Fixtures.wineEvent.with(content: Fixtures.wineEvent.content + " ").verify() }
    }

    @Test("A flipped signature bit gives .badSignature", arguments: [0, 1, 8, 255, 256, 257, 400, 511])
    func flippedSignatureBit(_ bit: Int) {
        let event = Self.signed.with(sig: Fixtures.flippingBit(bit, of: Self.signed.sig))
        #expect(throws: EventValidationError.badSignature) { try event.verify() }
        let real = Fixtures.wineEvent.with(sig: Fixtures.flippingBit(bit, of: Fixtures.wineEvent.sig))
        #expect(throws: EventValidationError.badSignature) { try real.verify() }
    }

    @Test("A signature by another key over the right id gives .badSignature")
    func signatureByAnotherKey() throws {
        let digest = Fixtures.bytes(Self.signed.id)
        let forged = try #require(Schnorr.sign(message: digest, secretKey: Fixtures.otherKeypair.secretKey))
        let event = Self.signed.with(sig: Hex.encode(forged))
        #expect(throws: EventValidationError.badSignature) { try event.verify() }
    }

    @Test("A pubkey that is not on the curve gives .badSignature")
    func pubkeyNotOnCurve() {
        // BIP-340 vector 5's public key, with the id recomputed so only the key is wrong.
        let pubkey = "eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34"
        let unsigned = Self.signed.with(pubkey: pubkey)
        let event = unsigned.with(id: unsigned.computedID)
        #expect(throws: EventValidationError.badSignature) { try event.verify() }
    }

    @Test("Uppercase or mis-sized hex gives .badHex for that field")
    func badHex() {
        let s = Self.signed
        #expect(throws: EventValidationError.badHex(field: "id")) { try s.with(id: s.id.uppercased()).verify() }
        #expect(throws: EventValidationError.badHex(field: "pubkey")) { try s.with(pubkey: s.pubkey.uppercased()).verify() }
        #expect(throws: EventValidationError.badHex(field: "sig")) { try s.with(sig: s.sig.uppercased()).verify() }
        #expect(throws: EventValidationError.badHex(field: "id")) { try s.with(id: String(s.id.dropLast())).verify() }
        #expect(throws: EventValidationError.badHex(field: "pubkey")) { try s.with(pubkey: s.pubkey + "00").verify() }
        #expect(throws: EventValidationError.badHex(field: "sig")) { try s.with(sig: String(s.sig.dropLast(2))).verify() }
        #expect(throws: EventValidationError.badHex(field: "id")) { try s.with(id: "").verify() }
    }

    @Test("A kind outside 0...65535 gives .kindOutOfRange", arguments: [-1, 65536, Int.max, Int.min])
    func kindOutOfRange(_ kind: Int) {
        #expect(throws: EventValidationError.kindOutOfRange) { try Self.signed.with(kind: kind).verify() }
    }

    @Test("Kinds at both ends of the range verify", arguments: [0, 65535])
    func kindBoundaries(_ kind: Int) {
        let event = Fixtures.keypair.sign(kind: kind, createdAt: 1)
        #expect(event.isValid)
    }

    @Test("Error messages follow the invalid: prefix", arguments: [
        (.missingField("id"), "missing field id"),
        (.wrongType("kind"), "field kind has the wrong type"),
        (.badHex(field: "sig"), "field sig is not lowercase hex of the right length"),
        (.kindOutOfRange, "kind must be an integer between 0 and 65535"),
        (.idMismatch, "event id does not match"),
        (.badSignature, "signature verification failed"),
        (.tooManyTags(limit: 2000), "too many tags (limit 2000)"),
        (.contentTooLong(limit: 65536), "content too long (limit 65536 bytes)"),
        (.createdAtTooFarInFuture(limit: 900), "created_at more than 900 seconds in the future"),
    ] as [(EventValidationError, String)])
    func messages(_ error: EventValidationError, _ message: String) {
        #expect(error.message == message)
        #expect(error.description == "invalid: " + message)
        #expect(MachineReadablePrefix.of(error.description) == .invalid)
    }
}

@Suite("Event JSON decoding")
struct EventJSONDecodingTests {
    static let id = Fixtures.wineEvent.id
    static let pk = Fixtures.wineEvent.pubkey
    static let sig = Fixtures.wineEvent.sig

    /// A valid event object as text, with one member replaced (`nil` removes it).
    static func object(replacing key: String? = nil, with value: String? = nil) -> String {
        let members: [(String, String)] = [
            ("id", "\"\(id)\""), ("pubkey", "\"\(pk)\""), ("created_at", "1670869179"), ("kind", "1"),
            ("tags", #"[["client","astral"]]"#), ("content", JSONString.quoted(Fixtures.wineEvent.content)), ("sig", "\"\(sig)\""),
        ]
        let parts = members.compactMap { (k, v) -> String? in
            if k == key { return value.map { "\"\(k)\":\($0)" } }
            return "\"\(k)\":\(v)"
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    @Test("A valid object decodes to the event")
    func valid() throws {
        #expect(try NostrEvent(jsonText: Self.object()) == Fixtures.wineEvent)
        #expect(try NostrEvent(json: JSONValue.parse(Self.object())) == Fixtures.wineEvent)
    }

    @Test("Member order, whitespace and unknown members do not matter")
    func lenientLayout() throws {
        let text = """
        { "sig": "\(Self.sig)", "content": \(JSONString.quoted(Fixtures.wineEvent.content)),
          "tags": [ [ "client", "astral" ] ], "kind": 1, "created_at": 1670869179,
          "pubkey": "\(Self.pk)", "id": "\(Self.id)", "relays": ["wss://x"], "extra": {"a": null} }
        """
        #expect(try NostrEvent(jsonText: text) == Fixtures.wineEvent)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        let key: String
        let value: String?
        let error: EventValidationError
        var testDescription: String { "\(key) = \(value ?? "<missing>")" }
    }

    static let badCases: [BadCase] = [
        BadCase(key: "id", value: nil, error: .missingField("id")),
        BadCase(key: "id", value: "1", error: .wrongType("id")),
        BadCase(key: "id", value: "null", error: .wrongType("id")),
        BadCase(key: "id", value: "\"\(id.uppercased())\"", error: .badHex(field: "id")),
        BadCase(key: "id", value: "\"\(id.dropLast())\"", error: .badHex(field: "id")),
        BadCase(key: "pubkey", value: nil, error: .missingField("pubkey")),
        BadCase(key: "pubkey", value: "[]", error: .wrongType("pubkey")),
        BadCase(key: "pubkey", value: "\"npub1xyz\"", error: .badHex(field: "pubkey")),
        BadCase(key: "created_at", value: nil, error: .missingField("created_at")),
        BadCase(key: "created_at", value: "-1", error: .wrongType("created_at")),
        BadCase(key: "created_at", value: "1.5", error: .wrongType("created_at")),
        BadCase(key: "created_at", value: "1e9", error: .wrongType("created_at")),
        BadCase(key: "created_at", value: "\"1670869179\"", error: .wrongType("created_at")),
        BadCase(key: "created_at", value: "18446744073709551615", error: .wrongType("created_at")),
        BadCase(key: "kind", value: nil, error: .missingField("kind")),
        BadCase(key: "kind", value: "\"1\"", error: .wrongType("kind")),
        BadCase(key: "kind", value: "1.0", error: .wrongType("kind")),
        BadCase(key: "kind", value: "true", error: .wrongType("kind")),
        BadCase(key: "kind", value: "-1", error: .kindOutOfRange),
        BadCase(key: "kind", value: "65536", error: .kindOutOfRange),
        BadCase(key: "kind", value: "9223372036854775807", error: .kindOutOfRange),
        BadCase(key: "tags", value: nil, error: .missingField("tags")),
        BadCase(key: "tags", value: "{}", error: .wrongType("tags")),
        BadCase(key: "tags", value: #"["e"]"#, error: .wrongType("tags")),
        BadCase(key: "tags", value: #"[["e", 1]]"#, error: .wrongType("tags")),
        BadCase(key: "tags", value: #"[["e", null]]"#, error: .wrongType("tags")),
        BadCase(key: "tags", value: #"[["e"], [["nested"]]]"#, error: .wrongType("tags")),
        BadCase(key: "content", value: nil, error: .missingField("content")),
        BadCase(key: "content", value: "5", error: .wrongType("content")),
        BadCase(key: "content", value: "null", error: .wrongType("content")),
        BadCase(key: "sig", value: nil, error: .missingField("sig")),
        BadCase(key: "sig", value: "false", error: .wrongType("sig")),
        BadCase(key: "sig", value: "\"\(sig.dropLast(2))\"", error: .badHex(field: "sig")),
        BadCase(key: "sig", value: "\"\(sig.uppercased())\"", error: .badHex(field: "sig")),
    ]

    @Test("Each malformed field is named", arguments: badCases)
    func badField(_ c: BadCase) {
        let text = Self.object(replacing: c.key, with: c.value)
        #expect(throws: c.error) { try NostrEvent(jsonText: text) }
    }

    @Test("Non-objects and non-JSON are refused as the wrong type", arguments: ["[]", "\"event\"", "null", "42", "not json", "", "{"])
    func notAnObject(_ text: String) {
        #expect(throws: EventValidationError.wrongType("event")) { try NostrEvent(jsonText: text) }
    }

    @Test("Decoding does not check the id hash or the signature (verify() does)")
    func decodingDoesNotVerify() throws {
        let text = Self.object(replacing: "content", with: "\"changed\"")
        let event = try NostrEvent(jsonText: text)
        #expect(throws: EventValidationError.idMismatch) { try event.verify() }
    }

    @Test("Empty tags, empty tag arrays and empty strings are fine")
    func emptyThings() throws {
        let text = Self.object(replacing: "tags", with: #"[[], [""], ["e", "", ""]]"#)
        let event = try NostrEvent(jsonText: text)
        #expect(event.tags == [[], [""], ["e", "", ""]])
    }

    @Test("Duplicate members: the first one wins")
    func duplicateMembers() throws {
        let text = "{\"kind\":1," + Self.object().dropFirst().replacingFirst("\"kind\":1", with: "\"kind\":2")
        let event = try NostrEvent(jsonText: text)
        #expect(event.kind == 1)
    }
}

extension StringProtocol {
    /// `self` with the first occurrence of `target` replaced.
    func replacingFirst(_ target: String, with replacement: String) -> String {
        var s = String(self)
        guard let r = s.firstRange(of: target) else { return s }
        s.replaceSubrange(r, with: replacement)
        return s
    }
}
