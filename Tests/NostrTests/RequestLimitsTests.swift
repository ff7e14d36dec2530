import Testing
@testable import Nostr

/// Outgoing request sizing against strfry's counting rules (field notes §5.1).
@Suite struct RequestLimitsTests {
    let id = String(repeating: "ab", count: 32)

    @Test func idsAndPubkeysCountTheirDecodedBytesOtherTagsTheirText() {
        #expect(RequestLimits.cost(of: id, in: "ids") == 32)
        #expect(RequestLimits.cost(of: id, in: "authors") == 32)
        #expect(RequestLimits.cost(of: id, in: "e") == 32)
        #expect(RequestLimits.cost(of: id, in: "p") == 32)
        #expect(RequestLimits.cost(of: id, in: "E") == 64)
        #expect(RequestLimits.cost(of: id, in: "q") == 64)
        #expect(RequestLimits.cost(of: "30617:\(id):repo", in: "a") == 75)
    }

    @Test func chunksStayWithinTheValueBudgetAndTheMessage() {
        let coordinates = (0..<2_000).map { "30617:\(id):repository-\($0)" }
        let limits = RequestLimits()
        let chunks = limits.chunks(coordinates, field: "a")
        #expect(chunks.allSatisfy { $0.reduce(0) { $0 + $1.utf8.count } <= 60_000 })
        #expect(Set(chunks.joined()) == Set(coordinates))
        // ids: the JSON size binds before the 32-byte count does.
        let ids = (0..<5_000).map { String(String(repeating: "0", count: 64) + String($0, radix: 16)).suffix(64) }.map(String.init)
        for chunk in limits.chunks(ids, field: "ids") {
            #expect(Filter(ids: chunk).jsonText.utf8.count <= limits.maxFilterJSONBytes)
        }
        #expect(limits.chunks(coordinates, field: "a", maxValues: 100).allSatisfy { $0.count <= 100 })
        #expect(limits.chunks([], field: "a").isEmpty)
    }

    @Test func splittingHalvesTheLargestListAndKeepsTheRest() {
        let f = Filter(kinds: [1], tags: ["a": ["x", "y", "z", "w"], "e": [id]], since: 9)
        guard let (a, b) = f.splitAlongLargestValueList() else {
            Issue.record("not split")
            return
        }
        #expect(Set(a.tags["a"]! + b.tags["a"]!) == ["x", "y", "z", "w"])
        #expect(a.tags["a"]!.count == 2 && b.tags["a"]!.count == 2)
        #expect(a.tags["e"] == [id] && b.since == 9 && a.kinds == [1])
        #expect(Filter(tags: ["a": ["only"]]).splitAlongLargestValueList() == nil)
        #expect(Filter(kinds: [1]).splitAlongLargestValueList() == nil)
    }

    @Test func admitsChecksTagCountValueBytesAndSize() {
        let limits = RequestLimits()
        #expect(limits.admits(Filter(tags: ["a": ["x"], "e": [id], "p": [id]])))
        #expect(!limits.admits(Filter(tags: ["a": ["x"], "e": [id], "p": [id], "t": ["y"]])))
        let tooMany = (0..<1_000).map { "30617:\(id):r\($0)" }
        #expect(!limits.admits(Filter(tags: ["a": tooMany])))
    }
}
