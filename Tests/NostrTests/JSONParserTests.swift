import Testing
import Nostr

@Suite("JSON parser")
struct JSONParserTests {
    struct ValidCase: Sendable, CustomTestStringConvertible {
        let text: String
        let value: JSONValue
        var testDescription: String { text.debugDescription }
    }

    static let validCases: [ValidCase] = [
        ValidCase(text: "null", value: .null),
        ValidCase(text: "true", value: .bool(true)),
        ValidCase(text: "false", value: .bool(false)),
        ValidCase(text: "0", value: .integer(0)),
        ValidCase(text: "-0", value: .integer(0)),
        ValidCase(text: "42", value: .integer(42)),
        ValidCase(text: "-17", value: .integer(-17)),
        ValidCase(text: "1.5", value: .double(1.5)),
        ValidCase(text: "-0.25", value: .double(-0.25)),
        ValidCase(text: "1e3", value: .double(1000)),
        ValidCase(text: "1E+2", value: .double(100)),
        ValidCase(text: "25e-1", value: .double(2.5)),
        ValidCase(text: "0.0", value: .double(0)),
        ValidCase(text: "\"\"", value: .string("")),
        ValidCase(text: "\"abc\"", value: .string("abc")),
        ValidCase(text: "[]", value: .array([])),
        ValidCase(text: "{}", value: .object([])),
        ValidCase(text: " \t\n\r[ 1 , \"a\" , [ ] , { } ] \r\n\t ", value: .array([.integer(1), .string("a"), .array([]), .object([])])),
        ValidCase(text: #"{"b":1,"a":[true,null],"c":{"d":"e"}}"#,
                  value: .object([("b", .integer(1)), ("a", .array([.bool(true), .null])), ("c", .object([("d", .string("e"))]))])),
        ValidCase(text: #"{ "k" : "v" }"#, value: .object([("k", .string("v"))])),
        ValidCase(text: #"{"":0}"#, value: .object([("", .integer(0))])),
    ]

    @Test("Valid documents", arguments: validCases)
    func valid(_ c: ValidCase) throws {
        #expect(try JSONValue.parse(c.text) == c.value)
        #expect(try JSONValue.parse(bytes: Array(c.text.utf8)) == c.value)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        let text: String
        let reason: JSONParseError.Reason
        var testDescription: String { "\(text.debugDescription) -> \(reason)" }
    }

    static let invalidCases: [InvalidCase] = [
        InvalidCase(text: "", reason: .unexpectedEnd),
        InvalidCase(text: "   ", reason: .unexpectedEnd),
        InvalidCase(text: "[", reason: .unexpectedEnd),
        InvalidCase(text: "[1", reason: .unexpectedEnd),
        InvalidCase(text: "[1,", reason: .unexpectedEnd),
        InvalidCase(text: "{", reason: .unexpectedEnd),
        InvalidCase(text: #"{"a""#, reason: .unexpectedEnd),
        InvalidCase(text: #"{"a":"#, reason: .unexpectedEnd),
        InvalidCase(text: "[1,]", reason: .unexpectedCharacter),
        InvalidCase(text: "[,1]", reason: .unexpectedCharacter),
        InvalidCase(text: "[1 2]", reason: .unexpectedCharacter),
        InvalidCase(text: "[01]", reason: .unexpectedCharacter),
        InvalidCase(text: #"{"a":1,}"#, reason: .unexpectedCharacter),
        InvalidCase(text: #"{"a" 1}"#, reason: .unexpectedCharacter),
        InvalidCase(text: #"{"a":}"#, reason: .unexpectedCharacter),
        InvalidCase(text: "{a:1}", reason: .unexpectedCharacter),
        InvalidCase(text: "{'a':1}", reason: .unexpectedCharacter),
        InvalidCase(text: #"{"a":1 "b":2}"#, reason: .unexpectedCharacter),
        InvalidCase(text: "{1:2}", reason: .unexpectedCharacter),
        InvalidCase(text: "tru", reason: .unexpectedEnd),
        InvalidCase(text: "trve", reason: .unexpectedCharacter),
        InvalidCase(text: "nul", reason: .unexpectedEnd),
        InvalidCase(text: "NULL", reason: .unexpectedCharacter),
        InvalidCase(text: "True", reason: .unexpectedCharacter),
        InvalidCase(text: "NaN", reason: .unexpectedCharacter),
        InvalidCase(text: "Infinity", reason: .unexpectedCharacter),
        InvalidCase(text: "'a'", reason: .unexpectedCharacter),
        InvalidCase(text: "+1", reason: .unexpectedCharacter),
        InvalidCase(text: ".5", reason: .unexpectedCharacter),
        InvalidCase(text: "-", reason: .unexpectedEnd),
        InvalidCase(text: "-a", reason: .invalidNumber),
        InvalidCase(text: "1.", reason: .invalidNumber),
        InvalidCase(text: "1.e3", reason: .invalidNumber),
        InvalidCase(text: "1e", reason: .invalidNumber),
        InvalidCase(text: "1e+", reason: .invalidNumber),
        InvalidCase(text: "[1.]", reason: .invalidNumber),
        InvalidCase(text: "\"abc", reason: .unexpectedEnd),
        InvalidCase(text: "\"abc\\", reason: .unexpectedEnd),
        InvalidCase(text: #""\x""#, reason: .invalidEscape),
        InvalidCase(text: #""\'""#, reason: .invalidEscape),
        InvalidCase(text: #""\u12G4""#, reason: .invalidEscape),
        InvalidCase(text: #""\u12""#, reason: .unexpectedEnd),
        InvalidCase(text: #""\uD800""#, reason: .invalidUnicode),
        InvalidCase(text: #""\uDC00""#, reason: .invalidUnicode),
        InvalidCase(text: #""\uDFFF\uD800""#, reason: .invalidUnicode),
        InvalidCase(text: #""\uD800x""#, reason: .invalidUnicode),
        InvalidCase(text: #""\uD800\u0041""#, reason: .invalidUnicode),
        InvalidCase(text: #""\uD800\uD800""#, reason: .invalidUnicode),
        InvalidCase(text: "\"a\tb\"", reason: .controlCharacterInString),
        InvalidCase(text: "\"a\nb\"", reason: .controlCharacterInString),
        InvalidCase(text: "\"\\n\u{1}\"", reason: .controlCharacterInString),
        InvalidCase(text: "1 2", reason: .trailingData),
        InvalidCase(text: "01", reason: .trailingData),
        InvalidCase(text: "{} x", reason: .trailingData),
        InvalidCase(text: "[]]", reason: .trailingData),
        InvalidCase(text: "[1]x", reason: .trailingData),
        InvalidCase(text: #""a""b""#, reason: .trailingData),
        InvalidCase(text: "null,", reason: .trailingData),
        InvalidCase(text: "\u{FEFF}[]", reason: .unexpectedCharacter),
        InvalidCase(text: "/* c */ 1", reason: .unexpectedCharacter),
        InvalidCase(text: "\u{0B}1", reason: .unexpectedCharacter),
    ]

    @Test("Invalid documents", arguments: invalidCases)
    func invalid(_ c: InvalidCase) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(c.text) }
        #expect(error?.reason == c.reason)
        let bytesError = #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: Array(c.text.utf8)) }
        #expect(bytesError == error)
    }

    @Test("Errors carry the byte offset of the problem")
    func offsets() {
        #expect(throws: JSONParseError(.trailingData, at: 4)) { try JSONValue.parse("[1] x") }
        #expect(throws: JSONParseError(.unexpectedCharacter, at: 3)) { try JSONValue.parse("[1,]") }
        #expect(throws: JSONParseError(.controlCharacterInString, at: 3)) { try JSONValue.parse("\"ab\u{1}\"") }
        #expect(throws: JSONParseError(.unexpectedEnd, at: 0)) { try JSONValue.parse("") }
        #expect(JSONParseError(.trailingData, at: 4).description == "trailing data after JSON value at byte 4")
    }

    @Test("Escape sequences decode")
    func escapes() throws {
        #expect(try JSONValue.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try JSONValue.parse(#""\u0041\u00e9\u00E9\u65e5\u0000""#) == .string("Aéé日\u{0}"))
        #expect(try JSONValue.parse(#""a\u0000b""#).stringValue?.utf8.count == 3)
        #expect(try JSONValue.parse(#""\u2028""#) == .string("\u{2028}"))
        // An escape after a run of plain text (the slow path picks up the prefix).
        #expect(try JSONValue.parse(#""plain prefix \n tail""#) == .string("plain prefix \n tail"))
    }

    @Test("Surrogate pairs combine into one scalar", arguments: [
        (#""\ud83d\ude00""#, "😀"), (#""\uD83D\uDE00""#, "😀"), (#""\ud800\udc00""#, "\u{10000}"),
        (#""\udbff\udfff""#, "\u{10FFFF}"), (#""x\ud83e\udd19y""#, "x🤙y"),
    ])
    func surrogatePairs(_ text: String, _ expected: String) throws {
        #expect(try JSONValue.parse(text) == .string(expected))
    }

    @Test("Raw UTF-8 passes through verbatim")
    func rawUTF8() throws {
        #expect(try JSONValue.parse("\"é 日本 😀 \u{7F}\"") == .string("é 日本 😀 \u{7F}"))
    }

    @Test("Every raw control character inside a string is refused", arguments: 0..<0x20)
    func controlCharacters(_ c: Int) {
        let bytes: [UInt8] = [0x22, 0x61, UInt8(c), 0x62, 0x22]
        #expect(throws: JSONParseError(.controlCharacterInString, at: 2)) { try JSONValue.parse(bytes: bytes) }
    }

    static func nestedArrays(_ depth: Int, inner: String = "") -> String {
        String(repeating: "[", count: depth) + inner + String(repeating: "]", count: depth)
    }

    static func nestedObjects(_ depth: Int) -> String {
        String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
    }

    @Test("Nesting up to maxDepth is accepted, one more is refused", arguments: [1, 2, 5, 64])
    func depthLimit(_ maxDepth: Int) throws {
        for inner in ["", "1", "\"s\"", "null"] {
            #expect(throws: Never.self) { try JSONValue.parse(Self.nestedArrays(maxDepth, inner: inner), maxDepth: maxDepth) }
            #expect(throws: JSONParseError.self) { try JSONValue.parse(Self.nestedArrays(maxDepth + 1, inner: inner), maxDepth: maxDepth) }
        }
        #expect(throws: Never.self) { try JSONValue.parse(Self.nestedObjects(maxDepth), maxDepth: maxDepth) }
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(Self.nestedObjects(maxDepth + 1), maxDepth: maxDepth) }
        #expect(error?.reason == .tooDeep)
    }

    @Test("The default depth limit is 64")
    func defaultDepth() {
        #expect(throws: Never.self) { try JSONValue.parse(Self.nestedArrays(64, inner: "1")) }
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(Self.nestedArrays(65)) }
        #expect(error?.reason == .tooDeep)
        #expect(error?.offset == 64)
    }

    @Test("maxDepth 0 allows only scalars")
    func depthZero() throws {
        #expect(try JSONValue.parse("1", maxDepth: 0) == .integer(1))
        #expect(try JSONValue.parse("\"x\"", maxDepth: 0) == .string("x"))
        #expect(throws: JSONParseError(.tooDeep, at: 0)) { try JSONValue.parse("[]", maxDepth: 0) }
        #expect(throws: JSONParseError(.tooDeep, at: 0)) { try JSONValue.parse("{}", maxDepth: 0) }
    }

    @Test("A hostile, very deep document fails cleanly instead of exhausting the stack")
    func hostileDepth() {
        let text = String(repeating: "[", count: 200_000)
        #expect(throws: JSONParseError(.tooDeep, at: 64)) { try JSONValue.parse(text) }
        let objects = String(repeating: #"{"a":"#, count: 100_000)
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(objects) }
        #expect(error?.reason == .tooDeep)
    }

    @Test("Integers stay exact", arguments: [
        ("9223372036854775807", .integer(Int64.max)),
        ("-9223372036854775808", .integer(Int64.min)),
        ("9223372036854775808", .unsignedInteger(9_223_372_036_854_775_808)),
        ("18446744073709551615", .unsignedInteger(UInt64.max)),
        ("18446744073709551616", .double(18_446_744_073_709_551_616.0)),
        ("-9223372036854775809", .double(-9_223_372_036_854_775_809.0)),
        ("4294967296", .integer(4_294_967_296)),
        ("1700000000", .integer(1_700_000_000)),
        ("9007199254740993", .integer(9_007_199_254_740_993)),  // not representable as Double
        ("1.0", .double(1)),
        ("1e0", .double(1)),
    ] as [(String, JSONValue)])
    func exactIntegers(_ text: String, _ expected: JSONValue) throws {
        let value = try JSONValue.parse(text)
        #expect(value == expected)
        if case .integer(let i) = expected { #expect(value.int64Value == i) } else { #expect(value.int64Value == nil) }
        #expect(try JSONValue.parse("[\(text)]") == .array([expected]))
    }

    @Test("Integer kinds do not compare equal across cases")
    func numberCasesAreDistinct() {
        #expect(JSONValue.integer(1) != .double(1))
        #expect(JSONValue.integer(1) != .unsignedInteger(1))
        #expect(JSONValue.string("1") != .integer(1))
        #expect(JSONValue.null != .bool(false))
    }

    @Test("Duplicate keys are kept in order; lookup returns the first")
    func duplicateKeys() throws {
        let value = try JSONValue.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(value.objectMembers?.count == 3)
        #expect(value["a"] == .integer(1))
        #expect(value["b"] == .integer(2))
        #expect(value["c"] == nil)
        #expect(value.jsonText == #"{"a":1,"b":2,"a":3}"#)
    }

    @Test("Object member order matters for equality")
    func memberOrder() throws {
        #expect(try JSONValue.parse(#"{"a":1,"b":2}"#) != JSONValue.parse(#"{"b":2,"a":1}"#))
    }

    @Test("Accessors return nil for other cases")
    func accessors() {
        let s = JSONValue.string("x"), a = JSONValue.array([.null]), o = JSONValue.object([("k", .bool(true))]), i = JSONValue.integer(5)
        #expect(s.stringValue == "x" && a.stringValue == nil && i.stringValue == nil)
        #expect(a.arrayValue == [.null] && s.arrayValue == nil && o.arrayValue == nil)
        #expect(o.objectMembers?.first?.0 == "k" && a.objectMembers == nil)
        #expect(i.int64Value == 5 && JSONValue.unsignedInteger(5).int64Value == nil && JSONValue.double(5).int64Value == nil)
        #expect(o["k"] == .bool(true) && a["k"] == nil && s["k"] == nil)
    }

    @Test("Compact documents re-serialise byte for byte", arguments: [
        "null", "true", "false", "0", "-5", "18446744073709551615", "\"a\\\"b\\\\c\\n\"",
        #"[1,[2,[3]],{"a":{"b":[]}}]"#, #"{"z":1,"a":2}"#, #"["é","😀","\u0000","/"]"#, "[]", "{}",
    ])
    func reserialise(_ text: String) throws {
        let value = try JSONValue.parse(text)
        #expect(value.jsonText == text)
        var out = ">"
        value.write(to: &out)
        #expect(out == ">" + text)
        #expect(try JSONValue.parse(value.jsonText) == value)
    }

    @Test("Non-finite doubles are written as null")
    func nonFinite() {
        #expect(JSONValue.double(.infinity).jsonText == "null")
        #expect(JSONValue.double(.nan).jsonText == "null")
        #expect(JSONValue.double(1.5).jsonText == "1.5")
    }
}
