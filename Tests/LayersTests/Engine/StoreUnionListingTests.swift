@testable import Layers
import Foundation
import Nostr
@testable import Reconcile
import Store
import Testing

/// The local side of a relay-wide reconciliation: the union of many overlapping filters'
/// listings, each event once, with duplicates folded out as the listing grows.
@Suite struct StoreUnionListingTests {
    /// 40 events, each tagged `#e` and `#E` with one of four roots (the shape of Layer 3).
    static func store() throws -> (SQLiteEventStore, [NostrEvent], [String]) {
        let store = try SQLiteEventStore()
        let key = NostrKeypair.generate()
        let roots = (0..<4).map { String(repeating: String($0), count: 64) }
        let events = (0..<40).map { i in
            key.sign(kind: 1111, tags: [["e", roots[i % 4]], ["E", roots[i % 4]]], content: "c\(i)", createdAt: 1_700_000_000 + Int64(i))
        }
        for e in events { _ = try store.insert(e) }
        return (store, events, roots)
    }

    @Test("50 rounds of overlapping filters list each event once, in order, in an array that did not grow past twice their number")
    func overlappingFiltersListEachEventOnce() throws {
        let (store, events, roots) = try Self.store()
        var filters: [Filter] = []
        for _ in 0..<50 {
            for root in roots { filters += [Filter(tags: ["e": [root]]), Filter(tags: ["E": [root]])] }
        }
        let storage = try store.negentropyStorage(forUnionOf: filters)
        let expected = events.map { NegentropyItem(timestamp: UInt64($0.createdAt), id: NegentropyID(hex: $0.id)!) }.sorted()
        #expect(storage.items == expected)
        #expect(storage.items.capacity <= 2 * expected.count + 64, "duplicates were folded out as the listing grew")
    }

    @Test("the item cap counts distinct events, not listed rows")
    func capCountsDistinctEvents() throws {
        let (store, _, roots) = try Self.store()
        let filters = (0..<20).flatMap { _ in roots.map { Filter(tags: ["e": [$0]]) } }
        #expect(try store.negentropyStorage(forUnionOf: filters, maxItems: 40).count == 40)
        #expect(throws: NegentropyClientFailure.self) { try store.negentropyStorage(forUnionOf: filters, maxItems: 39) }
    }
}
