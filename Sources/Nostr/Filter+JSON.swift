extension Filter {
    /// Builds a filter from a parsed JSON object with exact NIP-01 types. Unknown non-tag keys
    /// (for example NIP-50 `search`) are ignored, as most relays do.
    public init(json: JSONValue) throws(FilterDecodingError) {
        guard let members = json.objectMembers else { throw .notAnObject }
        self.init()
        for (key, value) in members {
            switch key {
            case "ids": ids = try Self.hexList(value, field: key)
            case "authors": authors = try Self.hexList(value, field: key)
            case "kinds":
                guard let items = value.arrayValue else { throw .wrongType(field: key) }
                var kinds: [Int] = []
                for item in items {
                    guard let k = item.int64Value, (0...65535).contains(k) else { throw .wrongType(field: key) }
                    kinds.append(Int(k))
                }
                self.kinds = kinds
            case "since": since = try Self.timestamp(value, field: key)
            case "until": until = try Self.timestamp(value, field: key)
            case "limit":
                switch value {
                case .integer(let i) where i >= 0: limit = Int(i)
                case .unsignedInteger: limit = Int.max
                default: throw .wrongType(field: key)
                }
            default:
                if key.hasPrefix("#") {
                    let name = String(key.dropFirst())
                    guard name.count == 1, let c = name.unicodeScalars.first, c.isASCII,
                          (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
                    else { throw .badTagName(key) }
                    guard let items = value.arrayValue else { throw .wrongType(field: key) }
                    var values: [String] = []
                    for item in items {
                        guard let s = item.stringValue else { throw .wrongType(field: key) }
                        values.append(s)
                    }
                    tags[name] = values
                }
            }
        }
    }

    private static func hexList(_ value: JSONValue, field: String) throws(FilterDecodingError) -> [String] {
        guard let items = value.arrayValue else { throw .wrongType(field: field) }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let s = item.stringValue else { throw .wrongType(field: field) }
            guard Hex.isLowercaseHex(s, byteCount: 32) else { throw .badHex(field: field) }
            out.append(s)
        }
        return out
    }

    private static func timestamp(_ value: JSONValue, field: String) throws(FilterDecodingError) -> Int64 {
        switch value {
        case .integer(let i) where i >= 0: return i
        case .unsignedInteger: return Int64.max
        default: throw .wrongType(field: field)
        }
    }

    /// Parses a filter from JSON text.
    public init(jsonText: String) throws(FilterDecodingError) {
        let value: JSONValue
        do { value = try JSONValue.parse(jsonText) } catch { throw .notAnObject }
        try self.init(json: value)
    }
}
