/// How big the requests this node sends a remote relay may be (issue "field-proof sync"; the
/// defaults sit under strfry's measured limits, field notes §5.1, the tightest of the relays
/// people run).
///
/// - strfry drops the connection, without a close frame, on a message over 131,072 bytes;
/// - it refuses a tag filter whose values (sorted, de-duplicated) total over 65,535 bytes,
///   counting `ids`, `authors`, `#e` and `#p` values as 32 bytes (hex-decoded) and others by
///   their UTF-8 length;
/// - at most 3 tag filters per filter and 200 filters per REQ.
///
/// A relay that still refuses a request as too large teaches a smaller ``maxTagValueBytes``
/// (kept per relay with its sync state).
public struct RequestLimits: Sendable, Equatable, Hashable, Codable {
    /// Bytes of values one tag (or `ids`/`authors`) list of a filter may hold.
    public var maxTagValueBytes: Int
    /// Bytes one outgoing message may have (JSON text).
    public var maxMessageBytes: Int
    /// Tag conditions in one filter.
    public var maxTagFiltersPerFilter: Int
    /// Filters in one REQ.
    public var maxFiltersPerRequest: Int

    /// Room kept in every message for the envelope and a NEG-OPEN's first negentropy message
    /// (hex): a filter's JSON may use ``maxMessageBytes`` minus this.
    public static let messageReserve = 8_192
    /// The smallest value budget a learned limit shrinks to (one coordinate or id always fits).
    public static let minimumTagValueBytes = 1_024

    public init(maxTagValueBytes: Int = 60_000, maxMessageBytes: Int = 131_072, maxTagFiltersPerFilter: Int = 3,
                maxFiltersPerRequest: Int = 200) {
        self.maxTagValueBytes = maxTagValueBytes
        self.maxMessageBytes = maxMessageBytes
        self.maxTagFiltersPerFilter = maxTagFiltersPerFilter
        self.maxFiltersPerRequest = maxFiltersPerRequest
    }

    /// JSON bytes one filter may take.
    public var maxFilterJSONBytes: Int { max(1_024, maxMessageBytes - Self.messageReserve) }

    /// What a relay counts for `value` in the list `field` (`ids`, `authors`, or a tag letter):
    /// 32 bytes for the hex-decoded id/pubkey fields, the UTF-8 length otherwise.
    public static func cost(of value: String, in field: String) -> Int {
        switch field {
        case "ids", "authors", "e", "p": return value.utf8.count == 64 ? 32 : value.utf8.count
        default: return value.utf8.count
        }
    }

    /// `values` (de-duplicated and sorted, as relays count them) cut into runs that each stay
    /// within ``maxTagValueBytes`` of relay-counted bytes and ``maxFilterJSONBytes`` of JSON,
    /// and within `maxValues` values when given.
    public func chunks(_ values: [String], field: String, maxValues: Int? = nil) -> [[String]] {
        let sorted = Array(Set(values)).sorted()
        return chunkRanges(sorted, field: field, maxValues: maxValues).map { Array(sorted[$0]) }
    }

    /// The runs ``chunks(_:field:maxValues:)`` cuts, as ranges of `sorted`, which must already
    /// be sorted and free of repeats (no copy of the values is made).
    public func chunkRanges(_ sorted: [String], field: String, maxValues: Int? = nil) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        var cost = 0
        var json = 0
        let valueBudget = max(1, maxTagValueBytes)
        let jsonBudget = maxFilterJSONBytes - 256  // the rest of the filter: since, kinds, ...
        for (index, value) in sorted.enumerated() {
            let c = Self.cost(of: value, in: field)
            let j = value.utf8.count + 3
            if index > start && (cost + c > valueBudget || json + j > jsonBudget || index - start == (maxValues ?? .max)) {
                out.append(start..<index)
                start = index
                cost = 0
                json = 0
            }
            cost += c
            json += j
        }
        if start < sorted.count { out.append(start..<sorted.count) }
        return out
    }

    /// Whether `filter` is within these limits (tag value bytes, tag count, JSON size).
    public func admits(_ filter: Filter) -> Bool {
        if filter.tags.count > maxTagFiltersPerFilter { return false }
        if filter.valueLists.contains(where: { $0.cost > maxTagValueBytes }) { return false }
        return filter.jsonText.utf8.count <= maxFilterJSONBytes
    }

    /// A copy whose value budget is half of `refusedBytes` (never below
    /// ``minimumTagValueBytes``, never above the current budget): what a relay's "too large"
    /// refusal of a filter carrying `refusedBytes` teaches.
    public func shrunk(belowRefused refusedBytes: Int) -> RequestLimits {
        var copy = self
        copy.maxTagValueBytes = max(Self.minimumTagValueBytes, min(maxTagValueBytes, refusedBytes / 2))
        return copy
    }
}

extension Filter {
    /// Each value list of the filter (`ids`, `authors`, each tag) with its relay-counted bytes
    /// (``RequestLimits/cost(of:in:)``, de-duplicated).
    public var valueLists: [(field: String, cost: Int)] {
        var out: [(String, Int)] = []
        func add(_ field: String, _ values: [String]) {
            out.append((field, Set(values).reduce(0) { $0 + RequestLimits.cost(of: $1, in: field) }))
        }
        if let ids { add("ids", ids) }
        if let authors { add("authors", authors) }
        for name in tags.keys.sorted() { add(name, tags[name]!) }
        return out
    }

    /// The filter cut in two along its biggest value list (each half keeps every other
    /// condition), or nil when no list has more than one value.
    public func splitAlongLargestValueList() -> (Filter, Filter)? {
        let candidates = valueLists.filter { list in
            switch list.field {
            case "ids": return (ids?.count ?? 0) > 1
            case "authors": return (authors?.count ?? 0) > 1
            default: return (tags[list.field]?.count ?? 0) > 1
            }
        }
        guard let largest = candidates.max(by: { $0.cost < $1.cost }) else { return nil }
        func halves(_ values: [String]) -> ([String], [String]) {
            let sorted = Array(Set(values)).sorted()
            let mid = sorted.count / 2
            return (Array(sorted[..<mid]), Array(sorted[mid...]))
        }
        var a = self
        var b = self
        switch largest.field {
        case "ids":
            let (x, y) = halves(ids!)
            a.ids = x
            b.ids = y
        case "authors":
            let (x, y) = halves(authors!)
            a.authors = x
            b.authors = y
        default:
            let (x, y) = halves(tags[largest.field]!)
            a.tags[largest.field] = x
            b.tags[largest.field] = y
        }
        return (a, b)
    }

    /// Relay-counted bytes of the filter's biggest value list (0 without lists).
    public var largestValueListCost: Int { valueLists.map(\.cost).max() ?? 0 }
}
