/// A NIP-01 subscription filter.
///
/// A nil field does not constrain; an empty list matches nothing. Tag conditions use
/// single-letter names (`#a`, `#e`, `#d`, ...); an event matches a tag condition when one of
/// its tags with that name has one of the listed values as its first value.
public struct Filter: Sendable, Hashable {
    public var ids: [String]?
    public var authors: [String]?
    public var kinds: [Int]?
    /// Tag conditions keyed by the letter without `#`.
    public var tags: [String: [String]]
    public var since: Int64?
    public var until: Int64?
    public var limit: Int?

    public init(ids: [String]? = nil, authors: [String]? = nil, kinds: [Int]? = nil, tags: [String: [String]] = [:],
                since: Int64? = nil, until: Int64? = nil, limit: Int? = nil) {
        self.ids = ids
        self.authors = authors
        self.kinds = kinds
        self.tags = tags
        self.since = since
        self.until = until
        self.limit = limit
    }

    /// Whether `event` satisfies every condition (limit is not a matching condition).
    public func matches(_ event: NostrEvent) -> Bool {
        if let ids, !ids.contains(event.id) { return false }
        if let authors, !authors.contains(event.pubkey) { return false }
        if let kinds, !kinds.contains(event.kind) { return false }
        if let since, event.createdAt < since { return false }
        if let until, event.createdAt > until { return false }
        for (name, values) in tags {
            var found = false
            for tag in event.tags where tag.count > 1 && tag[0] == name && values.contains(tag[1]) {
                found = true
                break
            }
            if !found { return false }
        }
        return true
    }

    /// True when some listed set is empty, so nothing can match.
    public var isEmptyByConstruction: Bool {
        if ids?.isEmpty == true || authors?.isEmpty == true || kinds?.isEmpty == true { return true }
        if tags.values.contains(where: { $0.isEmpty }) { return true }
        if let since, let until, since > until { return true }
        return false
    }

    /// The filter as compact JSON, keys in a stable order (so equal filters serialise equally).
    public var jsonText: String { jsonValue.jsonText }

    /// The filter as a JSON value.
    public var jsonValue: JSONValue {
        var members: [(String, JSONValue)] = []
        if let ids { members.append(("ids", .array(ids.map { .string($0) }))) }
        if let authors { members.append(("authors", .array(authors.map { .string($0) }))) }
        if let kinds { members.append(("kinds", .array(kinds.map { .integer(Int64($0)) }))) }
        for name in tags.keys.sorted() {
            members.append(("#" + name, .array(tags[name]!.map { .string($0) })))
        }
        if let since { members.append(("since", .integer(since))) }
        if let until { members.append(("until", .integer(until))) }
        if let limit { members.append(("limit", .integer(Int64(limit)))) }
        return .object(members)
    }
}
