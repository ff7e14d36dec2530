/// A strict RFC 8259 recursive-descent parser over UTF-8 bytes with a nesting limit, so a
/// hostile message cannot exhaust the stack.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private let maxDepth: Int

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw JSONParseError(.trailingData, at: index) }
        return value
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0a, 0x0d: index += 1
            default: return
            }
        }
    }

    private func peek() throws(JSONParseError) -> UInt8 {
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        return bytes[index]
    }

    /// `depth` is the number of containers enclosing the value; a container here would be
    /// nested `depth + 1` deep, which must not exceed `maxDepth`.
    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        switch try peek() {
        case 0x7b:
            guard depth < maxDepth else { throw JSONParseError(.tooDeep, at: index) }
            return try parseObject(depth: depth + 1)
        case 0x5b:
            guard depth < maxDepth else { throw JSONParseError(.tooDeep, at: index) }
            return try parseArray(depth: depth + 1)
        case 0x22: return .string(try parseString())
        case 0x74: try expectLiteral("true"); return .bool(true)
        case 0x66: try expectLiteral("false"); return .bool(false)
        case 0x6e: try expectLiteral("null"); return .null
        case 0x2d, 0x30...0x39: return try parseNumber()
        default: throw JSONParseError(.unexpectedCharacter, at: index)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        let p = literal.utf8Start
        for i in 0..<count where bytes[index + i] != p[i] {
            throw JSONParseError(.unexpectedCharacter, at: index + i)
        }
        index += count
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if try peek() == 0x5d { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            switch try peek() {
            case 0x2c: index += 1
            case 0x5d: index += 1; return .array(items)
            default: throw JSONParseError(.unexpectedCharacter, at: index)
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if try peek() == 0x7d { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard try peek() == 0x22 else { throw JSONParseError(.unexpectedCharacter, at: index) }
            let key = try parseString()
            skipWhitespace()
            guard try peek() == 0x3a else { throw JSONParseError(.unexpectedCharacter, at: index) }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            switch try peek() {
            case 0x2c: index += 1
            case 0x7d: index += 1; return .object(members)
            default: throw JSONParseError(.unexpectedCharacter, at: index)
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let c = bytes[index]
            if c == 0x22 {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return s
            }
            if c == 0x5c { break }
            if c < 0x20 { throw JSONParseError(.controlCharacterInString, at: index) }
            index += 1
        }
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while true {
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
            let c = bytes[index]
            switch c {
            case 0x22:
                index += 1
                return String(decoding: out, as: UTF8.self)
            case 0x5c:
                index += 1
                guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
                let e = bytes[index]
                index += 1
                switch e {
                case 0x22: out.append(0x22)
                case 0x5c: out.append(0x5c)
                case 0x2f: out.append(0x2f)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0c)
                case 0x6e: out.append(0x0a)
                case 0x72: out.append(0x0d)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard index + 1 < bytes.count, bytes[index] == 0x5c, bytes[index + 1] == 0x75 else {
                            throw JSONParseError(.invalidUnicode, at: index)
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(.invalidUnicode, at: index) }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw JSONParseError(.invalidUnicode, at: index)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw JSONParseError(.invalidUnicode, at: index) }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw JSONParseError(.invalidEscape, at: index - 1)
                }
            default:
                if c < 0x20 { throw JSONParseError(.controlCharacterInString, at: index) }
                out.append(c)
                index += 1
            }
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            default: throw JSONParseError(.invalidEscape, at: index)
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var negative = false
        if bytes[index] == 0x2d { negative = true; index += 1 }
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        var isInteger = true
        if bytes[index] == 0x30 {
            index += 1
        } else if (0x31...0x39).contains(bytes[index]) {
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
        } else {
            throw JSONParseError(.invalidNumber, at: index)
        }
        if index < bytes.count, bytes[index] == 0x2e {
            isInteger = false
            index += 1
            let digitsStart = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > digitsStart else { throw JSONParseError(.invalidNumber, at: index) }
        }
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == 0x2b || bytes[index] == 0x2d { index += 1 }
            let digitsStart = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > digitsStart else { throw JSONParseError(.invalidNumber, at: index) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger {
            if let i = Int64(text) { return .integer(i) }
            if !negative, let u = UInt64(text) { return .unsignedInteger(u) }
        }
        guard let d = Double(text) else { throw JSONParseError(.invalidNumber, at: start) }
        return .double(d)
    }
}
