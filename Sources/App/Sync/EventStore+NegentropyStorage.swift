import Nostr
import Reconcile
import Store

extension EventStore {
    /// The local negentropy items for `filter` (its limit ignored): the real store, so known
    /// events are never downloaded again. More than `maxItems` matches is a `blocked` failure
    /// (the caller splits the time window, as for a relay's own cap).
    func negentropyStorage(for filter: Filter, maxItems: Int = 5_000_000) throws -> NegentropyStorage {
        var f = filter
        f.limit = nil
        switch try idListing(for: f, maxItems: maxItems, ordered: false) {
        case .tooMany(let limit):
            throw NegentropyClientFailure.blocked(maxRecords: limit, reason: "local store has more than \(limit) items for this filter")
        case .items(let list):
            return try NegentropyStorage(sealingTimestamps: list.timestamps, idBytes: list.idBytes)
        }
    }
}
