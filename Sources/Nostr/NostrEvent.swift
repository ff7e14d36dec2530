/// A Nostr event (NIP-01).
///
/// Ids, public keys and signatures are kept as lowercase hex strings, the form they travel in;
/// `validate()` checks their shape, recomputes the id and verifies the BIP-340 signature.
public struct NostrEvent: Sendable, Hashable {
    public let id: String
    public let pubkey: String
    public let createdAt: Int64
    public let kind: Int
    public let tags: [[String]]
    public let content: String
    public let sig: String

    public init(id: String, pubkey: String, createdAt: Int64, kind: Int, tags: [[String]], content: String, sig: String) {
        self.id = id
        self.pubkey = pubkey
        self.createdAt = createdAt
        self.kind = kind
        self.tags = tags
        self.content = content
        self.sig = sig
    }

    /// The NIP-01 canonical serialisation `[0,<pubkey>,<created_at>,<kind>,<tags>,<content>]`.
    public static func canonicalSerialization(pubkey: String, createdAt: Int64, kind: Int, tags: [[String]], content: String) -> String {
        var out = "[0,"
        JSONString.append(pubkey, to: &out)
        out += ","
        out += String(createdAt)
        out += ","
        out += String(kind)
        out += ","
        appendTags(tags, to: &out)
        out += ","
        JSONString.append(content, to: &out)
        out += "]"
        return out
    }

    /// The canonical serialisation of this event.
    public var canonicalSerialization: String {
        Self.canonicalSerialization(pubkey: pubkey, createdAt: createdAt, kind: kind, tags: tags, content: content)
    }

    /// The id this event's content hashes to (lowercase hex of SHA-256 of the canonical form).
    public var computedID: String { Hex.encode(SHA256Digest.hash(canonicalSerialization)) }

    /// The event as compact JSON, fields in the conventional order.
    public var jsonText: String {
        var out = "{\"id\":\""
        // One allocation: ids, pubkey, sig and fixed keys are ~300 bytes, plus content and tags.
        out.reserveCapacity(320 + content.utf8.count + tags.reduce(0) { $0 + 4 + $1.reduce(0) { $0 + 3 + $1.utf8.count } })
        out += id
        out += "\",\"pubkey\":\""
        out += pubkey
        out += "\",\"created_at\":"
        out += String(createdAt)
        out += ",\"kind\":"
        out += String(kind)
        out += ",\"tags\":"
        Self.appendTags(tags, to: &out)
        out += ",\"content\":"
        JSONString.append(content, to: &out)
        out += ",\"sig\":\""
        out += sig
        out += "\"}"
        return out
    }

    static func appendTags(_ tags: [[String]], to out: inout String) {
        out += "["
        for (i, tag) in tags.enumerated() {
            if i > 0 { out += "," }
            out += "["
            for (j, item) in tag.enumerated() {
                if j > 0 { out += "," }
                JSONString.append(item, to: &out)
            }
            out += "]"
        }
        out += "]"
    }
}

extension NostrEvent {
    /// Every value (index 1) of tags named `name`.
    public func tagValues(_ name: String) -> [String] {
        tags.compactMap { $0.count > 1 && $0[0] == name ? $0[1] : nil }
    }

    /// All tags named `name`.
    public func tags(named name: String) -> [[String]] {
        tags.filter { $0.first == name }
    }

    /// The first value of a tag named `name`.
    public func firstTagValue(_ name: String) -> String? {
        for tag in tags where tag.count > 1 && tag[0] == name { return tag[1] }
        return nil
    }

    /// The `d` tag value; addressable events without one use the empty string (NIP-01).
    public var dTag: String { firstTagValue("d") ?? "" }

    /// How NIP-01 stores this kind.
    public var kindClass: EventKindClass { EventKindClass(kind: kind) }

    /// `<kind>:<pubkey>:<d>` for addressable events, nil otherwise.
    public var address: String? {
        kindClass == .addressable ? "\(kind):\(pubkey):\(dTag)" : nil
    }
}
