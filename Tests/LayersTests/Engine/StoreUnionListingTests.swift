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

    @Test("150 rounds of overlapping filters (12,000 rows for 40 events) list each event once, in order, in the one array reserved at the store's event count")
    func overlappingFiltersListEachEventOnce() throws {
        let (store, events, roots) = try Self.store()
        var filters: [Filter] = []
        for _ in 0..<150 {
            for root in roots { filters += [Filter(tags: ["e": [root]]), Filter(tags: ["E": [root]])] }
        }
        let storage = try store.negentropyStorage(forUnionOf: filters)
        let expected = events.map { NegentropyItem(timestamp: UInt64($0.createdAt), id: NegentropyID(hex: $0.id)!) }.sorted()
        #expect(storage.items == expected)
        // 1,200 listings of 10 rows fit only if duplicates were folded in place; a capacity
        // other than the reserve (the store's 40 events and 4,096 of room) means the array
        // grew by copying.
        #expect(storage.items.capacity >= expected.count + 4_096)
        #expect(storage.items.capacity <= expected.count + 4_096 + 8, "reserved once at the store's count, never grown")
    }

    @Test("the item cap counts distinct events, not listed rows")
    func capCountsDistinctEvents() throws {
        let (store, _, roots) = try Self.store()
        let filters = (0..<20).flatMap { _ in roots.map { Filter(tags: ["e": [$0]]) } }
        #expect(try store.negentropyStorage(forUnionOf: filters, maxItems: 40).count == 40)
        #expect(throws: NegentropyClientFailure.self) { try store.negentropyStorage(forUnionOf: filters, maxItems: 39) }
    }

    @Test("folding a sorted, distinct prefix and an unsorted tail with repeats gives the sorted distinct union", arguments: [0, 1, 7, 300])
    func foldMergesTheTailIntoThePrefix(prefixSize: Int) {
        var random = SplitMix64(seed: UInt64(prefixSize) + 11)
        func item() -> NegentropyItem {
            var bytes = [UInt8](repeating: 0, count: 32)
            bytes[0] = UInt8(random.next() % 40)
            return NegentropyItem(timestamp: random.next() % 20, id: NegentropyID(bytes: bytes)!)
        }
        let prefix = Array(Set((0..<prefixSize).map { _ in item() })).sorted()
        let tail = (0..<200).map { _ in item() } + prefix.prefix(5)
        var items = prefix + tail
        var folded = prefix.count
        SQLiteEventStore.fold(&items, sortedPrefix: &folded)
        #expect(items == Array(Set(prefix + tail)).sorted())
        #expect(folded == items.count)
    }
}
