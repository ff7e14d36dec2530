extension NostrEvent {
    /// Builds an event from a parsed JSON object, checking every field's presence and type
    /// and the hex shape of id, pubkey and sig (not the id hash or signature: see `verify()`).
    public init(json: JSONValue) throws(EventValidationError) {
        guard case .object = json else { throw .wrongType("event") }
        guard let idValue = json["id"] else { throw .missingField("id") }
        guard let id = idValue.stringValue else { throw .wrongType("id") }
        guard Hex.isLowercaseHex(id, byteCount: 32) else { throw .badHex(field: "id") }
        guard let pkValue = json["pubkey"] else { throw .missingField("pubkey") }
        guard let pubkey = pkValue.stringValue else { throw .wrongType("pubkey") }
        guard Hex.isLowercaseHex(pubkey, byteCount: 32) else { throw .badHex(field: "pubkey") }
        guard let createdValue = json["created_at"] else { throw .missingField("created_at") }
        guard let createdAt = createdValue.int64Value, createdAt >= 0 else { throw .wrongType("created_at") }
        guard let kindValue = json["kind"] else { throw .missingField("kind") }
        guard let kind64 = kindValue.int64Value else { throw .wrongType("kind") }
        guard (0...65535).contains(kind64) else { throw .kindOutOfRange }
        guard let tagsValue = json["tags"] else { throw .missingField("tags") }
        guard let tagArray = tagsValue.arrayValue else { throw .wrongType("tags") }
        var tags: [[String]] = []
        tags.reserveCapacity(tagArray.count)
        for tag in tagArray {
            guard let items = tag.arrayValue else { throw .wrongType("tags") }
            var strings: [String] = []
            strings.reserveCapacity(items.count)
            for item in items {
                guard let s = item.stringValue else { throw .wrongType("tags") }
                strings.append(s)
            }
            tags.append(strings)
        }
        guard let contentValue = json["content"] else { throw .missingField("content") }
        guard let content = contentValue.stringValue else { throw .wrongType("content") }
        guard let sigValue = json["sig"] else { throw .missingField("sig") }
        guard let sig = sigValue.stringValue else { throw .wrongType("sig") }
        guard Hex.isLowercaseHex(sig, byteCount: 64) else { throw .badHex(field: "sig") }
        self.init(id: id, pubkey: pubkey, createdAt: createdAt, kind: Int(kind64), tags: tags, content: content, sig: sig)
    }

    /// Parses an event from its JSON text.
    public init(jsonText: String) throws(EventValidationError) {
        let value: JSONValue
        do { value = try JSONValue.parse(jsonText) } catch { throw .wrongType("event") }
        try self.init(json: value)
    }

    /// The event as a JSON value tree.
    public var jsonValue: JSONValue {
        .object([
            ("id", .string(id)), ("pubkey", .string(pubkey)), ("created_at", .integer(createdAt)),
            ("kind", .integer(Int64(kind))),
            ("tags", .array(tags.map { .array($0.map { .string($0) }) })),
            ("content", .string(content)), ("sig", .string(sig)),
        ])
    }
}
