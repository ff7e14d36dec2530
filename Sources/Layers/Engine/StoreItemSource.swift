import Nostr
import Reconcile
import Store

extension EventStore {
    /// The local negentropy items for `filter` (its limit ignored): the real store, so known
    /// events are never downloaded again. More than `maxItems` matches is a `blocked` failure
    /// (the caller splits the time window, as for a relay's own cap).
    public func negentropyStorage(for filter: Filter, maxItems: Int = 5_000_000) throws -> NegentropyStorage {
        let list = try negentropyListing(filter, maxItems: maxItems)
        return try NegentropyStorage(sealingTimestamps: list.timestamps, idBytes: list.idBytes)
    }

    /// The ids and timestamps `filter` selects (its limit ignored); more than `maxItems` is a
    /// `blocked` failure.
    private func negentropyListing(_ filter: Filter, maxItems: Int) throws -> StoredIDList {
        var f = filter
        f.limit = nil
        switch try idListing(for: f, maxItems: maxItems, ordered: false) {
        case .tooMany(let limit):
            throw NegentropyClientFailure.blocked(maxRecords: limit, reason: "local store has more than \(limit) items for this filter")
        case .items(let list):
            return list
        }
    }

    /// The local items matching any of `filters` (each limit ignored), each event once: the
    /// local side of a relay-wide reconciliation, whose remote filter cannot name the items.
    ///
    /// Memory stays near one copy of the result: overlapping filters (`#e` and `#E` of the
    /// same root events) list most events more than once, so duplicates are folded out
    /// whenever the array would otherwise grow.
    public func negentropyStorage(forUnionOf filters: [Filter], maxItems: Int = 5_000_000) throws -> NegentropyStorage {
        var items: [NegentropyItem] = []
        for filter in filters {
            let list = try negentropyListing(filter, maxItems: maxItems)
            if items.count + list.count > items.capacity, !items.isEmpty {
                Self.removeDuplicates(&items)
                // Grow by half rather than double when the listing still does not fit: the
                // spare capacity stays with the sealed session for its life.
                if items.count + list.count > items.capacity {
                    items.reserveCapacity(items.count + max(list.count, items.count / 2))
                }
            }
            list.idBytes.withUnsafeBytes { raw in
                for i in 0..<list.count {
                    items.append(NegentropyItem(timestamp: list.timestamps[i], id: NegentropyID(loadingFrom: raw, offset: i * 32)))
                }
            }
            if items.count > maxItems {
                Self.removeDuplicates(&items)
                if items.count > maxItems {
                    throw NegentropyClientFailure.blocked(maxRecords: maxItems, reason: "local store has more than \(maxItems) items for this filter")
                }
            }
        }
        // Sealing refuses duplicates. The array is not copied to its exact size (nor does
        // sealing copy it): the copy would sit beside the original for a moment, raising the
        // peak it is meant to lower.
        Self.removeDuplicates(&items)
        return try NegentropyStorage(sealing: items)
    }

    /// Sorts `items` and drops repeated ones in place (no second array: at a million items it
    /// would be 40 MB more).
    private static func removeDuplicates(_ items: inout [NegentropyItem]) {
        items.sort()
        var kept = 0
        for index in items.indices where kept == 0 || items[kept - 1] != items[index] {
            items[kept] = items[index]
            kept += 1
        }
        items.removeLast(items.count - kept)
    }
}

/// The store and the rejected-events index as a reconciler's local side (the engine's
/// default; App wires it in).
public struct StoreItemSource: LocalItemSource {
    let store: any EventStore
    let rejected: RejectedEventsIndex

    public init(store: any EventStore, rejected: RejectedEventsIndex) {
        self.store = store
        self.rejected = rejected
    }

    public func negentropyStorage(for filter: Filter) throws -> NegentropyStorage {
        try store.negentropyStorage(for: filter)
    }

    public func negentropyStorage(forUnionOf filters: [Filter]) throws -> NegentropyStorage {
        try store.negentropyStorage(forUnionOf: filters)
    }

    public func knownRejectedIDs() -> Set<String> { rejected.allIDs() }
}
