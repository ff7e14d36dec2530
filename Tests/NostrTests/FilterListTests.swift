import Nostr
import Testing

/// Filters cut from shared value lists read back as the filters `RequestLimits.chunks` would
/// have built one by one.
@Suite struct FilterListTests {
    static func ids(_ n: Int, prefix: String = "") -> [String] {
        (0..<n).map { i in
            let hex = String(i, radix: 16)
            return prefix + String(repeating: "0", count: 64 - prefix.count - hex.count) + hex
        }
    }

    @Test("chunked filters equal the template with each chunk of RequestLimits.chunks, in order")
    func chunksReadBackAsTheirFilters() {
        let values = Self.ids(5_000)
        let limits = RequestLimits().shrunk(belowRefused: 20_000)
        let template = Filter(kinds: [1111], since: 42)
        var list = FilterList()
        list.appendChunks(of: values, tag: "e", template: template, limits: limits)
        let expected = limits.chunks(values, field: "e").map { chunk -> Filter in
            var f = template
            f.tags["e"] = chunk
            return f
        }
        #expect(expected.count > 1)
        #expect(Array(list) == expected)
    }

    @Test("plain filters and appended lists keep their order and their own values")
    func appendingKeepsOrderAndValues() {
        let limits = RequestLimits().shrunk(belowRefused: 20_000)
        var first: FilterList = [Filter(kinds: [30617])]
        first.appendChunks(of: Self.ids(2_000), tag: "e", template: Filter(), limits: limits)
        var second = FilterList()
        second.appendChunks(of: Self.ids(3_000, prefix: "f"), tag: "E", template: Filter(), limits: limits)
        second.append(Filter(kinds: [1]))
        var joined = first
        joined.append(contentsOf: second)
        #expect(Array(joined) == Array(first) + Array(second))
        #expect(joined.count == first.count + second.count)
        #expect(joined.last == Filter(kinds: [1]))
        #expect(joined[first.count].tags["E"]?.first == Self.ids(3_000, prefix: "f").first)
    }

    @Test("an empty value list adds no filter")
    func emptyValuesAddNothing() {
        var list = FilterList()
        list.appendChunks(of: [], tag: "e", template: Filter(), limits: RequestLimits())
        #expect(list.isEmpty)
    }
}
