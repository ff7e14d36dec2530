import Testing
import Nostr

/// NIP-01 canonical serialisation and event ids. Every expected id and signature here was
/// computed independently (Python `hashlib` over the canonical string, and a from-the-spec
/// BIP-340 implementation checked against the official vectors first).
@Suite("Canonical serialisation and event ids")
struct CanonicalSerializationTests {
    struct SignedVector: Sendable, CustomTestStringConvertible {
        let name: String
        let createdAt: Int64
        let kind: Int
        let tags: [[String]]
        let content: String
        let canonical: String
        let id: String
        let sig: String
        var testDescription: String { name }
    }

    static let pk = Fixtures.publicKeyHex

    /// Events signed with `Fixtures.keypair` and all-zero aux_rand.
    static let signedVectors: [SignedVector] = [
        SignedVector(
            name: "every escape class",
            createdAt: 1_700_000_000,
            kind: 1,
            tags: [["t", "a/b"], ["x", ""], ["empty"], ["q", "tab\there", "nul\u{0}"]],
            content: "line1\nline2\t\"quoted\" back\\slash\r\u{08}\u{0C}\u{01}\u{1F}\u{7F} / é 日本 😀 \u{2028} end",
            canonical: #"[0,"dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",1700000000,1,[["t","a/b"],["x",""],["empty"],["q","tab\there","nul\u0000"]],"line1\nline2\t\"quoted\" back\\slash\r\b\f\u0001\u001f\#u{7F} / é 日本 😀 \#u{2028} end"]"#,
            id: "f5a801f49c63e0e5a3a888822133dcea2fc6a439241b15be4819b7a63c3c78e6",
            sig: "534845f28b9b7ac9cfe8075250951a4d8f4271b7c843d3cc3bb8c8b340f1d33fab5aca123f6609c2b79c92ee8ec9e35bad3422d794b61f58aace6509a3206935"
        ),
        SignedVector(
            name: "minimal: kind 0, created_at 0, no tags, empty content",
            createdAt: 0,
            kind: 0,
            tags: [],
            content: "",
            canonical: #"[0,"dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",0,0,[],""]"#,
            id: "5b9cf1f2cc490ccb0dde5ff0e3bf23195534684e43879c46b888cc4ee0a704cc",
            sig: "cac394769e579e191de37c2bda4867a414292025c7831df5fe38e17914d2cb460c5c228a7efddcb1a33335d6b449b3e15461e96b109d9bf331953d26ffbc6c38"
        ),
        SignedVector(
            name: "NIP-34 repository announcement",
            createdAt: 1_721_000_000,
            kind: 30617,
            tags: NIP34Fixtures.announcementTags,
            content: "A Swift relay node.",
            canonical: #"[0,"dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",1721000000,30617,[["d","grasp:sync"],["name","grasp-sync"],["clone","https://relay.example.com/npub1x/grasp.git","git://example.org/x.git"],["relays","wss://relay.example.com/","wss://nos.lol"],["maintainers","dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659"]],"A Swift relay node."]"#,
            id: "55fb9a31f63855bd0794c08d3f69790d972b19cf40cfddbe366711227968701b",
            sig: "a86e04eeb90de81aae63b219c0e5d5c1e80a286110ca78a3904bc3109de23628d9e9400cf62c0190d7d0cfa63e3f2c460f2ccafbddbf85b5696185393941b0c5"
        ),
    ]

    @Test("Signing reproduces the independently computed canonical form, id and signature", arguments: signedVectors)
    func signedVector(_ v: SignedVector) throws {
        let canonical = NostrEvent.canonicalSerialization(pubkey: Self.pk, createdAt: v.createdAt, kind: v.kind, tags: v.tags, content: v.content)
        #expect(canonical == v.canonical)
        #expect(Hex.encode(SHA256Digest.hash(canonical)) == v.id)

        let event = Fixtures.keypair.sign(kind: v.kind, tags: v.tags, content: v.content, createdAt: v.createdAt, auxRand: Fixtures.zeroAux)
        #expect(event.pubkey == Self.pk)
        #expect(event.canonicalSerialization == v.canonical)
        #expect(event.computedID == v.id)
        #expect(event.id == v.id)
        #expect(event.sig == v.sig)
        #expect(throws: Never.self) { try event.verify() }
    }

    @Test("Signed vectors survive a JSON round trip and still verify", arguments: signedVectors)
    func signedVectorJSONRoundTrip(_ v: SignedVector) throws {
        let event = NostrEvent(id: v.id, pubkey: Self.pk, createdAt: v.createdAt, kind: v.kind, tags: v.tags, content: v.content, sig: v.sig)
        let parsed = try NostrEvent(jsonText: event.jsonText)
        #expect(parsed == event)
        #expect(parsed.isValid)
        #expect(event.jsonValue.jsonText == event.jsonText)
    }

    @Test("A real published note hashes to its id and verifies")
    func realWineEvent() throws {
        let event = Fixtures.wineEvent
        #expect(event.canonicalSerialization == #"[0,"22a12a128a3be27cd7fb250cbe796e692896398dc1440ae3fa567812c8107c1c",1670869179,1,[["client","astral"]],"NOSTR \"WINE-ACCOUNT\" WITH HARVEST DATE STAMPED\n\n\n\"The older the wine, the greater its reputation\"\n\n\n22a12a128a3be27cd7fb250cbe796e692896398dc1440ae3fa567812c8107c1c\n\n\nNWA 2022-12-12\nAA"]"#)
        #expect(event.computedID == event.id)
        #expect(throws: Never.self) { try event.verify() }
    }

    @Test("A real note sent with \\u escapes and surrogate pairs parses, hashes with raw UTF-8 and verifies")
    func realEventWithSurrogatePairs() throws {
        let event = try NostrEvent(jsonText: Fixtures.lillordagWireJSON)
        #expect(event.content == Fixtures.lillordagContent)
        #expect(event.tags.count == 2)
        // Canonical form writes non-ASCII verbatim, never as \u escapes.
        #expect(event.canonicalSerialization.contains("lillördag please.\\n\\n😎🤙👇🍻\\n\\n"))
        #expect(!event.canonicalSerialization.contains("\\u00f6"))
        #expect(event.computedID == "cd720b23163210ebddec88bc4e74d83c9667cdf11b95d376865315c686ed34eb")
        #expect(throws: Never.self) { try event.verify() }
        // Re-serialised JSON is the canonical escaping, and parses back to the same event.
        #expect(event.jsonText.contains("😎"))
        #expect(try NostrEvent(jsonText: event.jsonText) == event)
    }

    @Test("The canonical form is exactly [0,pubkey,created_at,kind,tags,content]")
    func canonicalLayout() {
        let s = NostrEvent.canonicalSerialization(
            pubkey: Fixtures.hex64("a"), createdAt: Int64.max, kind: 65535,
            tags: [["e", "x", "wss://r/"], []], content: "hi")
        #expect(s == #"[0,"\#(Fixtures.hex64("a"))",9223372036854775807,65535,[["e","x","wss://r/"],[]],"hi"]"#)
    }

    @Test("Event jsonText has the conventional field order and canonical escaping")
    func eventJSONText() {
        let event = Fixtures.event(createdAt: 5, kind: 7, tags: [["e", "a\"b"]], content: "x\ny/")
        #expect(event.jsonText == #"{"id":"\#(Fixtures.hex64("a"))","pubkey":"\#(Fixtures.hex64("1"))","created_at":5,"kind":7,"tags":[["e","a\"b"]],"content":"x\ny/","sig":"\#(String(repeating: "0", count: 128))"}"#)
    }

    @Test("Changing any hashed field changes the id")
    func everyFieldIsHashed() {
        let base = Fixtures.event(createdAt: 10, kind: 1, tags: [["t", "a"]], content: "c")
        let variants = [
            base.with(pubkey: Fixtures.hex64("2")), base.with(createdAt: 11), base.with(kind: 2),
            base.with(tags: [["t", "b"]]), base.with(tags: [["t", "a"], []]), base.with(tags: []), base.with(content: "C"),
        ]
        for v in variants { #expect(v.computedID != base.computedID) }
        // id and sig are not part of the hash.
        #expect(base.with(id: Fixtures.hex64("b"), sig: String(repeating: "1", count: 128)).computedID == base.computedID)
    }
}

@Suite("JSON string escaping (NIP-01)")
struct JSONStringEscapingTests {
    @Test("Escape table", arguments: [
        ("\n", #""\n""#), ("\"", #""\"""#), ("\\", #""\\""#), ("\r", #""\r""#), ("\t", #""\t""#),
        ("\u{08}", #""\b""#), ("\u{0C}", #""\f""#), ("\u{0}", #""\u0000""#), ("\u{01}", #""\u0001""#),
        ("\u{0B}", #""\u000b""#), ("\u{1B}", #""\u001b""#), ("\u{1F}", #""\u001f""#),
        ("/", #""/""#), ("\u{7F}", "\"\u{7F}\""), ("é", #""é""#), ("日本", #""日本""#), ("😀", #""😀""#),
        ("\u{2028}\u{2029}", "\"\u{2028}\u{2029}\""), ("", #""""#), ("plain text", #""plain text""#),
        ("a\"b\\c\nd", #""a\"b\\c\nd""#),
    ])
    func escape(_ input: String, _ expected: String) {
        #expect(JSONString.quoted(input) == expected)
        var out = "prefix:"
        JSONString.append(input, to: &out)
        #expect(out == "prefix:" + expected)
    }

    @Test("Every control character is escaped: short form where one exists, else lowercase \\u00XX")
    func allControlCharacters() {
        let short: [UInt8: String] = [0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r"]
        let digits = Array("0123456789abcdef")
        for c in UInt8(0)..<0x20 {
            let s = String(decoding: [c], as: UTF8.self)
            let expected = short[c] ?? "\\u00\(digits[Int(c >> 4)])\(digits[Int(c & 0xf)])"
            #expect(JSONString.quoted(s) == "\"\(expected)\"", "byte \(c)")
        }
    }

    @Test("Escaped strings parse back to the original", arguments: [
        "", "a", "\u{0}\u{1}\u{1F}\u{7F}", "\n\r\t\u{08}\u{0C}\"\\/", "mixed é 😀 \u{2028} \\n literal",
    ])
    func roundTrip(_ s: String) throws {
        #expect(try JSONValue.parse(JSONString.quoted(s)) == .string(s))
    }
}
