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
    /// Memory stays near one copy of the result. The array is reserved once, at the store's
    /// event count (no listing holds more distinct events) plus an eighth: a block that large
    /// is its own mapping (``AllocatorTuning``), whose pages cost memory only when written,
    /// so the array never grows by copying (old and new storage side by side were the
    /// re-sync's peak at a million events). Overlapping filters (`#e` and `#E` of the same
    /// root events) list most events more than once, so the listing is kept as a sorted,
    /// distinct prefix and a tail of at most an eighth: a full tail is sorted and merged into
    /// the prefix (scratch space of the tail's size, not of the whole listing).
    public func negentropyStorage(forUnionOf filters: some Sequence<Filter>, maxItems: Int = 5_000_000) throws -> NegentropyStorage {
        let distinctBound = min(maxItems, try count([Filter()]))
        let room = max(4_096, distinctBound / 8)
        var items: [NegentropyItem] = []
        items.reserveCapacity(distinctBound + room)
        var folded = 0
        for filter in filters {
            let list = try negentropyListing(filter, maxItems: maxItems)
            list.idBytes.withUnsafeBytes { raw in
                for i in 0..<list.count {
                    if items.count - folded >= room || items.count == items.capacity {
                        Self.fold(&items, sortedPrefix: &folded)
                        // Little room after folding: events stored since the count was
                        // taken. Grow (the rare path; the spare stays with the session).
                        if items.capacity - items.count < room / 2 { items.reserveCapacity(items.capacity + room) }
                    }
                    items.append(NegentropyItem(timestamp: list.timestamps[i], id: NegentropyID(loadingFrom: raw, offset: i * 32)))
                }
            }
            if items.count > maxItems {
                Self.fold(&items, sortedPrefix: &folded)
                if items.count > maxItems {
                    throw NegentropyClientFailure.blocked(maxRecords: maxItems, reason: "local store has more than \(maxItems) items for this filter")
                }
            }
        }
        // Sealing wants sorted, distinct items. The array is not copied to its exact size
        // (nor does sealing copy it): the copy would sit beside the original for a moment,
        // raising the peak it is meant to lower.
        Self.fold(&items, sortedPrefix: &folded)
        return try NegentropyStorage(sealing: items)
    }

    /// Makes all of `items` sorted and distinct, given that its first `sortedPrefix` items
    /// already are: the tail is sorted on its own, merged in from the back through a copy
    /// of the tail, and repeats are dropped in place.
    static func fold(_ items: inout [NegentropyItem], sortedPrefix: inout Int) {
        let prefix = sortedPrefix
        guard items.count > prefix else { return }
        // Through the buffer: sorting `items[prefix...]` would copy the slice and write it back.
        items.withUnsafeMutableBufferPointer { $0[prefix...].sort() }
        if prefix > 0 {
            // (With no prefix the tail would be the whole array, and `Array` of it would share
            // the storage: the first write below would copy all of it.)
            let tail = Array(items[prefix...])
            var read = prefix - 1
            var write = items.count - 1
            for item in tail.reversed() {
                while read >= 0 && items[read] > item {
                    items[write] = items[read]
                    write -= 1
                    read -= 1
                }
                items[write] = item
                write -= 1
            }
        }
        var kept = 0
        for index in items.indices where kept == 0 || items[kept - 1] != items[index] {
            items[kept] = items[index]
            kept += 1
        }
        items.removeLast(items.count - kept)
        sortedPrefix = kept
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

    public func negentropyStorage(forUnionOf filters: some Sequence<Filter>) throws -> NegentropyStorage {
        try store.negentropyStorage(forUnionOf: filters)
    }

    public func knownRejectedIDs() -> Set<String> { rejected.allIDs() }
}
