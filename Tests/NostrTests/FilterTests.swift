import Testing
import Nostr

private let idA = Fixtures.hex64("a")
private let idB = Fixtures.hex64("b")
private let pkA = Fixtures.hex64("1")
private let pkB = Fixtures.hex64("2")
private let repoA = "30617:\(pkA):repo"

@Suite("Filter matching")
struct FilterMatchingTests {
    static let event = Fixtures.event(
        id: idA, pubkey: pkA, createdAt: 1_000, kind: 1617,
        tags: [["e", idB, "wss://r", "root"], ["p", pkB], ["t", "swift"], ["t", "nostr"], ["a", repoA], ["r", "first", "second"], ["E"], ["K", "1621"]])

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let filter: Filter
        let matches: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty filter matches everything", filter: Filter(), matches: true),
        // ids
        Case(name: "ids contains the id", filter: Filter(ids: [idA]), matches: true),
        Case(name: "ids among several", filter: Filter(ids: [idB, idA]), matches: true),
        Case(name: "ids without the id", filter: Filter(ids: [idB]), matches: false),
        Case(name: "empty ids match nothing", filter: Filter(ids: []), matches: false),
        // authors
        Case(name: "authors contains the pubkey", filter: Filter(authors: [pkA]), matches: true),
        Case(name: "authors without the pubkey", filter: Filter(authors: [pkB]), matches: false),
        Case(name: "empty authors match nothing", filter: Filter(authors: []), matches: false),
        // kinds
        Case(name: "kinds contains the kind", filter: Filter(kinds: [1617]), matches: true),
        Case(name: "kinds among several", filter: Filter(kinds: [1, 1617, 1621]), matches: true),
        Case(name: "kinds without the kind", filter: Filter(kinds: [1618]), matches: false),
        Case(name: "empty kinds match nothing", filter: Filter(kinds: []), matches: false),
        // since / until, both inclusive
        Case(name: "since equal is inclusive", filter: Filter(since: 1_000), matches: true),
        Case(name: "since earlier", filter: Filter(since: 999), matches: true),
        Case(name: "since later", filter: Filter(since: 1_001), matches: false),
        Case(name: "until equal is inclusive", filter: Filter(until: 1_000), matches: true),
        Case(name: "until later", filter: Filter(until: 1_001), matches: true),
        Case(name: "until earlier", filter: Filter(until: 999), matches: false),
        Case(name: "since == until == created_at", filter: Filter(since: 1_000, until: 1_000), matches: true),
        Case(name: "since > until", filter: Filter(since: 1_001, until: 999), matches: false),
        // tags
        Case(name: "#e on the first value", filter: Filter(tags: ["e": [idB]]), matches: true),
        Case(name: "#e does not look at the event's own id", filter: Filter(tags: ["e": [idA]]), matches: false),
        Case(name: "#e never matches later tag elements", filter: Filter(tags: ["e": ["wss://r"]]), matches: false),
        Case(name: "#t matches the second t tag", filter: Filter(tags: ["t": ["nostr"]]), matches: true),
        Case(name: "#t values are OR-ed", filter: Filter(tags: ["t": ["rust", "swift"]]), matches: true),
        Case(name: "#t with no listed value", filter: Filter(tags: ["t": ["rust", "go"]]), matches: false),
        Case(name: "empty tag list matches nothing", filter: Filter(tags: ["t": []]), matches: false),
        Case(name: "#r only looks at index 1", filter: Filter(tags: ["r": ["second"]]), matches: false),
        Case(name: "#r on index 1", filter: Filter(tags: ["r": ["first"]]), matches: true),
        Case(name: "a name-only tag has no value", filter: Filter(tags: ["E": [""]]), matches: false),
        Case(name: "tag names are case-sensitive", filter: Filter(tags: ["k": ["1621"]]), matches: false),
        Case(name: "uppercase tag", filter: Filter(tags: ["K": ["1621"]]), matches: true),
        Case(name: "absent tag name", filter: Filter(tags: ["d": ["repo"]]), matches: false),
        Case(name: "#a with the repo address", filter: Filter(tags: ["a": [repoA]]), matches: true),
        Case(name: "values compare exactly", filter: Filter(tags: ["t": ["Swift", "swift "]]), matches: false),
        Case(name: "tag conditions are AND-ed (both hold)", filter: Filter(tags: ["t": ["swift"], "p": [pkB]]), matches: true),
        Case(name: "tag conditions are AND-ed (one fails)", filter: Filter(tags: ["t": ["swift"], "p": [pkA]]), matches: false),
        Case(name: "three tag conditions", filter: Filter(tags: ["t": ["go", "nostr"], "p": [pkB], "a": [repoA]]), matches: true),
        // limit is not a condition
        Case(name: "limit 0 still matches", filter: Filter(limit: 0), matches: true),
        Case(name: "limit 1 still matches", filter: Filter(kinds: [1617], limit: 1), matches: true),
        // combinations
        Case(name: "every field holds", filter: Filter(ids: [idA], authors: [pkA], kinds: [1617], tags: ["e": [idB], "t": ["nostr"]], since: 1_000, until: 1_000, limit: 5), matches: true),
        Case(name: "every field holds but one author", filter: Filter(ids: [idA], authors: [pkB], kinds: [1617], tags: ["e": [idB]], since: 0, until: 2_000), matches: false),
        Case(name: "every field holds but one kind", filter: Filter(ids: [idA], authors: [pkA], kinds: [1], tags: ["e": [idB]]), matches: false),
        Case(name: "every field holds but the tag", filter: Filter(ids: [idA], authors: [pkA], kinds: [1617], tags: ["e": [idA]]), matches: false),
    ]

    @Test("Matching table", arguments: cases)
    func matching(_ c: Case) {
        #expect(c.filter.matches(Self.event) == c.matches)
    }

    @Test("An event without tags fails every tag condition")
    func noTags() {
        let bare = Fixtures.event(tags: [])
        #expect(Filter().matches(bare))
        #expect(!Filter(tags: ["e": [idB]]).matches(bare))
    }

    @Test("Timestamps at the extremes")
    func extremeTimestamps() {
        #expect(Filter(since: 0).matches(Fixtures.event(createdAt: 0)))
        #expect(Filter(until: Int64.max).matches(Fixtures.event(createdAt: Int64.max)))
        #expect(!Filter(since: Int64.max).matches(Fixtures.event(createdAt: Int64.max - 1)))
    }

    @Test("isEmptyByConstruction", arguments: [
        (Filter(), false),
        (Filter(ids: []), true), (Filter(authors: []), true), (Filter(kinds: []), true),
        (Filter(tags: ["e": []]), true), (Filter(tags: ["e": [idA], "p": []]), true),
        (Filter(since: 2, until: 1), true), (Filter(since: 1, until: 1), false),
        (Filter(ids: [idA], authors: [pkA], kinds: [1], tags: ["e": [idB]], since: 1, until: 2, limit: 0), false),
    ] as [(Filter, Bool)])
    func emptyByConstruction(_ filter: Filter, _ empty: Bool) {
        #expect(filter.isEmptyByConstruction == empty)
        if empty { #expect(!filter.matches(Self.event)) }
    }
}

@Suite("Filter JSON")
struct FilterJSONTests {
    static let full = Filter(ids: [idA, idB], authors: [pkA], kinds: [0, 1, 30617], tags: ["t": ["x", "y"], "e": [idB], "A": [repoA]],
                             since: 10, until: 20, limit: 100)

    @Test("jsonText uses a stable key order (tags sorted by name)")
    func stableText() {
        #expect(Self.full.jsonText == ##"{"ids":["\##(idA)","\##(idB)"],"authors":["\##(pkA)"],"kinds":[0,1,30617],"#A":["\##(repoA)"],"#e":["\##(idB)"],"#t":["x","y"],"since":10,"until":20,"limit":100}"##)
        #expect(Filter().jsonText == "{}")
        #expect(Filter(ids: [], tags: ["e": []]).jsonText == ##"{"ids":[],"#e":[]}"##)
        #expect(Filter(tags: ["t": ["quote\"d"]]).jsonText == ##"{"#t":["quote\"d"]}"##)
    }

    @Test("Equal filters serialise equally whatever the dictionary order")
    func equalFiltersEqualText() {
        var a = Filter()
        a.tags["z"] = ["1"]; a.tags["a"] = ["2"]; a.tags["m"] = ["3"]
        var b = Filter()
        b.tags["m"] = ["3"]; b.tags["a"] = ["2"]; b.tags["z"] = ["1"]
        #expect(a == b)
        #expect(a.jsonText == b.jsonText)
    }

    @Test("Round trip through JSON", arguments: [
        Filter(), full, Filter(ids: []), Filter(kinds: [65535]), Filter(since: 0), Filter(until: Int64.max),
        Filter(limit: 0), Filter(tags: ["d": ["grasp:sync"], "a": [repoA]]), Filter(tags: ["t": []]),
        Filter(authors: [pkB], kinds: [30617, 30618], tags: ["d": ["r1", "r2"]]),
    ])
    func roundTrip(_ filter: Filter) throws {
        #expect(try Filter(json: filter.jsonValue) == filter)
        #expect(try Filter(jsonText: filter.jsonText) == filter)
        #expect(try JSONValue.parse(filter.jsonText) == filter.jsonValue)
    }

    @Test("Parses a typical NIP-34 filter")
    func parseTypical() throws {
        let filter = try Filter(jsonText: ##"{"kinds":[30617,30618],"#d":["repo"],"authors":["\##(pkA)"],"since":1700000000,"limit":500}"##)
        #expect(filter == Filter(authors: [pkA], kinds: [30617, 30618], tags: ["d": ["repo"]], since: 1_700_000_000, limit: 500))
    }

    @Test("Unknown non-tag keys are ignored")
    func unknownKeys() throws {
        let filter = try Filter(jsonText: #"{"search":"best nostr apps","kinds":[1],"foo":{"bar":[1,2]},"ids_only":true}"#)
        #expect(filter == Filter(kinds: [1]))
    }

    @Test("Huge since/until/limit clamp rather than fail")
    func hugeNumbers() throws {
        let filter = try Filter(jsonText: #"{"since":18446744073709551615,"until":9223372036854775808,"limit":18446744073709551615}"#)
        #expect(filter.since == Int64.max)
        #expect(filter.until == Int64.max)
        #expect(filter.limit == Int.max)
    }

    @Test("Tag values are taken as strings without checks")
    func tagValuesFree() throws {
        let filter = try Filter(jsonText: ##"{"#e":["not-hex",""],"#Z":["x"]}"##)
        #expect(filter.tags == ["e": ["not-hex", ""], "Z": ["x"]])
    }

    @Test("A repeated key: the last one wins")
    func repeatedKey() throws {
        #expect(try Filter(jsonText: #"{"kinds":[1],"kinds":[2]}"#).kinds == [2])
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        let text: String
        let error: FilterDecodingError
        var testDescription: String { text }
    }

    static let badCases: [BadCase] = [
        BadCase(text: "[]", error: .notAnObject),
        BadCase(text: "\"filter\"", error: .notAnObject),
        BadCase(text: "null", error: .notAnObject),
        BadCase(text: "{", error: .notAnObject),
        BadCase(text: "not json", error: .notAnObject),
        BadCase(text: #"{"ids":"\#(idA)"}"#, error: .wrongType(field: "ids")),
        BadCase(text: #"{"ids":[1]}"#, error: .wrongType(field: "ids")),
        BadCase(text: #"{"ids":[null]}"#, error: .wrongType(field: "ids")),
        BadCase(text: #"{"ids":["\#(idA.uppercased())"]}"#, error: .badHex(field: "ids")),
        BadCase(text: #"{"ids":["aaaa"]}"#, error: .badHex(field: "ids")),
        BadCase(text: #"{"ids":["\#(idA)","zz"]}"#, error: .badHex(field: "ids")),
        BadCase(text: #"{"authors":{}}"#, error: .wrongType(field: "authors")),
        BadCase(text: #"{"authors":["npub1xyz"]}"#, error: .badHex(field: "authors")),
        BadCase(text: #"{"kinds":1}"#, error: .wrongType(field: "kinds")),
        BadCase(text: #"{"kinds":["1"]}"#, error: .wrongType(field: "kinds")),
        BadCase(text: #"{"kinds":[1.5]}"#, error: .wrongType(field: "kinds")),
        BadCase(text: #"{"kinds":[-1]}"#, error: .wrongType(field: "kinds")),
        BadCase(text: #"{"kinds":[65536]}"#, error: .wrongType(field: "kinds")),
        BadCase(text: #"{"kinds":[18446744073709551615]}"#, error: .wrongType(field: "kinds")),
        BadCase(text: #"{"since":-1}"#, error: .wrongType(field: "since")),
        BadCase(text: #"{"since":1.5}"#, error: .wrongType(field: "since")),
        BadCase(text: #"{"since":"1"}"#, error: .wrongType(field: "since")),
        BadCase(text: #"{"until":null}"#, error: .wrongType(field: "until")),
        BadCase(text: #"{"until":[1]}"#, error: .wrongType(field: "until")),
        BadCase(text: #"{"limit":-1}"#, error: .wrongType(field: "limit")),
        BadCase(text: #"{"limit":"10"}"#, error: .wrongType(field: "limit")),
        BadCase(text: #"{"limit":1e2}"#, error: .wrongType(field: "limit")),
        BadCase(text: ##"{"#":["x"]}"##, error: .badTagName("#")),
        BadCase(text: ##"{"#ab":["x"]}"##, error: .badTagName("#ab")),
        BadCase(text: ##"{"#1":["x"]}"##, error: .badTagName("#1")),
        BadCase(text: ##"{"#-":["x"]}"##, error: .badTagName("#-")),
        BadCase(text: ##"{"#é":["x"]}"##, error: .badTagName("#é")),
        BadCase(text: ##"{"#e":"x"}"##, error: .wrongType(field: "#e")),
        BadCase(text: ##"{"#e":[1]}"##, error: .wrongType(field: "#e")),
        BadCase(text: ##"{"#e":[["x"]]}"##, error: .wrongType(field: "#e")),
    ]

    @Test("Malformed filters name the offending field", arguments: badCases)
    func malformed(_ c: BadCase) {
        #expect(throws: c.error) { try Filter(jsonText: c.text) }
        if let value = try? JSONValue.parse(c.text) {
            #expect(throws: c.error) { try Filter(json: value) }
        }
    }

    @Test("Error messages", arguments: [
        (FilterDecodingError.notAnObject, "filter must be an object"),
        (.wrongType(field: "kinds"), "filter field kinds has the wrong type"),
        (.badHex(field: "ids"), "filter field ids must hold 64-character lowercase hex"),
        (.badTagName("#ab"), "unsupported filter key #ab"),
    ] as [(FilterDecodingError, String)])
    func messages(_ error: FilterDecodingError, _ message: String) {
        #expect(error.message == message)
        #expect(error.description == "invalid: " + message)
    }
}
